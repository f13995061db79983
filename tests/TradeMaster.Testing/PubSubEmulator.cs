using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace TradeMaster.Testing;

/// <summary>
/// The real Google Pub/Sub emulator from the installed Cloud SDK, on 127.0.0.1 and a free port, with a private data
/// directory. Start it, stop it and start it again on the same port to exercise outages. Disposing kills the
/// whole process tree it started (the launcher script runs a JVM) and checks no JVM of it is left.
/// There is no skip: without the emulator (or Java 17) the tests that need it fail and say why.
/// </summary>
public sealed class PubSubEmulator : IAsyncLifetime, IAsyncDisposable
{
    public const string DefaultBinary = "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(20);

    private readonly string _binary;
    private readonly string _dataDir;
    private readonly StringBuilder _output = new();
    private readonly Lock _outputLock = new();
    private Process? _process;
    private TaskCompletionSource? _started;
    private bool _exitHookInstalled;

    public PubSubEmulator()
    {
        _binary = Environment.GetEnvironmentVariable("PUBSUB_EMULATOR_BINARY") is { Length: > 0 } binary ? binary : DefaultBinary;
        _dataDir = Path.Combine(Path.GetTempPath(), $"trademaster-pubsub-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Port = FreePort();
    }

    public int Port { get; }

    /// <summary><c>host:port</c>, the form <c>PUBSUB_EMULATOR_HOST</c> takes.</summary>
    public string HostPort => $"127.0.0.1:{Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}";

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Everything the emulator printed so far (for failure messages).</summary>
    public string Output
    {
        get { lock (_outputLock) return _output.ToString(); }
    }

    public Task InitializeAsync() => StartAsync();

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (IsRunning) return;
        if (!File.Exists(_binary))
        {
            throw new InvalidOperationException(
                $"The Pub/Sub emulator is not installed at {_binary} (apt package google-cloud-cli-pubsub-emulator, Java 17). " +
                "Tests that need it fail rather than skip.");
        }
        Directory.CreateDirectory(_dataDir);
        InstallExitHook();
        lock (_outputLock) _output.Clear();
        _started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var info = new ProcessStartInfo(_binary)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("--host=127.0.0.1");
        info.ArgumentList.Add($"--port={Port.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        info.ArgumentList.Add($"--data-dir={_dataDir}");
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        var started = _started;
        process.Exited += (_, _) => started.TrySetException(new InvalidOperationException($"The Pub/Sub emulator exited before it started:\n{Output}"));
        if (!process.Start()) throw new InvalidOperationException($"Could not start {_binary}.");
        _process = process;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await started.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            await StopAsync();
            throw new TimeoutException($"The Pub/Sub emulator did not print 'Server started' within {StartTimeout.TotalSeconds:0}s:\n{Output}");
        }
    }

    /// <summary>Kills the emulator and every process it started, and waits until none is left.</summary>
    public async Task StopAsync()
    {
        var process = _process;
        _process = null;
        if (process is null) return;
        try
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
            using var timeout = new CancellationTokenSource(StopTimeout);
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            process.Dispose();
        }
        // A JVM that outlived its parent would hold the port and memory: find any by our private data dir.
        await Poll.UntilAsync(() =>
        {
            var leftovers = ProcessesMentioning(_dataDir);
            foreach (var pid in leftovers) TryKill(pid);
            return leftovers.Count == 0;
        }, StopTimeout, $"no process of the Pub/Sub emulator ({_dataDir}) is left");
        // The port is free again once nobody listens on it; a restart reuses it.
        await Poll.UntilAsync(() => !IsListening(Port), StopTimeout, $"port {Port} is closed");
    }

    /// <summary>Stops and starts again on the same port, as a broker restart would.</summary>
    public async Task RestartAsync(CancellationToken cancellationToken = default)
    {
        await StopAsync();
        await StartAsync(cancellationToken);
    }

    public async Task DisposeAsync()
    {
        await StopAsync();
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    /// <summary>Pids (other than ours) whose command line mentions <paramref name="marker"/>.</summary>
    public static IReadOnlyList<int> ProcessesMentioning(string marker)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline"));
                if (cmdline.Contains(marker, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
        return found;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_outputLock) _output.AppendLine(line);
        if (line.Contains("Server started", StringComparison.Ordinal)) _started?.TrySetResult();
    }

    private void InstallExitHook()
    {
        if (_exitHookInstalled) return;
        _exitHookInstalled = true;
        // If the test host ends without disposing the fixture, do not leave a JVM behind.
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { _process?.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            foreach (var pid in ProcessesMentioning(_dataDir)) TryKill(pid);
        };
    }

    private static void TryKill(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill(entireProcessTree: true);
        }
        catch (ArgumentException) { }
        catch (InvalidOperationException) { }
        catch (System.ComponentModel.Win32Exception) { }
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
