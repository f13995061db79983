using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using TradeMaster.Testing;

namespace TradeMaster.Distributed.Tests;

/// <summary>
/// One TradeMaster service run as its own operating-system process: <c>dotnet &lt;built dll&gt;</c> with its
/// configuration in environment variables (the names of docs/configuration.md), stdout and stderr captured.
/// Disposing kills the whole process tree.
/// </summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    /// <summary>Inherited variables that would configure a service behind the test's back.</summary>
    private static readonly string[] ForeignPrefixes =
    [
        "ConnectionStrings__", "Orleans__", "Ledger__", "Publishing__", "Sink__", "Gateway__", "Dashboard__", "Logging__",
        "ASPNETCORE_", "DOTNET_ENVIRONMENT", "Urls", "PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "APP_API_TOKEN", "DAPR_",
        "OTEL_", "GOOGLE_APPLICATION_CREDENTIALS",
    ];

    private const int MaxLines = 4000;

    private readonly Process _process;
    private readonly Queue<string> _lines = new();
    private readonly Lock _linesLock = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private int _dropped;

    private ServiceProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process printed so far (the last <see cref="MaxLines"/> lines).</summary>
    public string Output
    {
        get
        {
            lock (_linesLock)
            {
                var text = new StringBuilder();
                if (_dropped > 0) text.AppendLine(CultureInfo.InvariantCulture, $"[{_dropped} earlier lines dropped]");
                foreach (var line in _lines) text.AppendLine(line);
                return text.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <paramref name="assemblyName"/>'s built dll with exactly these settings (plus the inherited environment minus
    /// TradeMaster's own keys) and command-line arguments.
    /// </summary>
    public static ServiceProcess Start(string name, string assemblyName, IReadOnlyDictionary<string, string> environment, params IReadOnlyList<string> arguments)
    {
        var dll = ServiceHostPath(assemblyName);
        var info = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!, // content root: the host's appsettings.json
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        foreach (var key in info.Environment.Keys.ToList())
        {
            if (ForeignPrefixes.Any(p => key.StartsWith(p, StringComparison.OrdinalIgnoreCase))) info.Environment.Remove(key);
        }
        // Plain console lines, one per message, so the captured output reads like a log.
        info.Environment["Logging__Console__FormatterName"] = "simple";
        info.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        info.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "HH:mm:ss.fff ";
        // Orleans 10 logs every placement retry pipeline run at Information: noise that would bury the log.
        info.Environment["Logging__LogLevel__Polly"] = "Warning";
        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (key, value) in environment) info.Environment[key] = value;

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var service = new ServiceProcess(name, process);
        process.OutputDataReceived += (_, e) => service.OnLine(e.Data, "out");
        process.ErrorDataReceived += (_, e) => service.OnLine(e.Data, "err");
        if (!process.Start()) throw new InvalidOperationException($"Could not start dotnet {dll}.");
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        ServiceProcessReaper.Track(process);
        return service;
    }

    /// <summary>The dll of a service host as this test project's build recorded it (see the .csproj).</summary>
    public static string ServiceHostPath(string assemblyName)
    {
        var path = typeof(ServiceProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .SingleOrDefault(a => a.Key == $"ServiceHost:{assemblyName}")?.Value
            ?? throw new InvalidOperationException($"The build recorded no ServiceHost:{assemblyName} (see RecordServiceHostPaths in the .csproj).");
        return File.Exists(path)
            ? path
            : throw new FileNotFoundException($"{assemblyName} was not built where the build said it would be.", path);
    }

    /// <summary>Polls <paramref name="url"/> until it answers 200; fails at once (with the log) if the process exits.</summary>
    public async Task WaitUntilHealthyAsync(Uri url, TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        try
        {
            await Poll.UntilAsync(async () =>
            {
                if (HasExited) throw new InvalidOperationException($"{Name} exited with code {_process.ExitCode} before {url} answered.");
                try
                {
                    using var response = await http.GetAsync(url);
                    return response.IsSuccessStatusCode;
                }
                catch (HttpRequestException)
                {
                    return false;
                }
                catch (TaskCanceledException)
                {
                    return false;
                }
            }, timeout, $"{Name} answers 200 at {url}");
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{e.Message}\n--- {Name} output ---\n{Output}", e);
        }
    }

    /// <summary>Sends the process a signal (SIGTERM: what <c>kill</c>, systemd and Kubernetes send to stop it).</summary>
    public void Signal(int number)
    {
        if (kill(_process.Id, number) != 0) throw new InvalidOperationException($"kill({_process.Id}, {number}) failed: errno {Marshal.GetLastPInvokeError()}.");
    }

    /// <summary>Waits for the process to exit on its own; its exit code, or null if it was still running at the deadline.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int signal);

    /// <summary>Kills the process and everything it started, as a crash or an OOM kill would: no graceful shutdown.</summary>
    public async Task KillAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited between the check and the kill.
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _process.WaitForExitAsync(timeout.Token);
        OnLine($"[killed by the test after {_clock.Elapsed.TotalSeconds:0.0}s]", "test");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            ServiceProcessReaper.Forget(_process);
            _process.Dispose();
        }
    }

    private void OnLine(string? line, string stream)
    {
        if (line is null) return;
        lock (_linesLock)
        {
            _lines.Enqueue(string.Create(CultureInfo.InvariantCulture, $"{_clock.Elapsed.TotalSeconds,7:0.000} {stream} {line}"));
            if (_lines.Count > MaxLines)
            {
                _lines.Dequeue();
                _dropped++;
            }
        }
    }
}

/// <summary>If the test host ends without disposing a service (a crashed run), its processes do not outlive it.</summary>
internal static class ServiceProcessReaper
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<Process> Running = [];
    private static bool _hooked;

    public static void Track(Process process)
    {
        lock (Gate)
        {
            Running.Add(process);
            if (_hooked) return;
            _hooked = true;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                lock (Gate)
                {
                    foreach (var p in Running)
                    {
                        try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    }
                }
            };
        }
    }

    public static void Forget(Process process)
    {
        lock (Gate) Running.Remove(process);
    }
}
