using System.Diagnostics;
using System.Globalization;

namespace TradeMaster.Distributed.Tests;

/// <summary>
/// The system's Chromium (./test.sh installs the Debian package) run headless once per call, with a fresh
/// profile and no network chatter of its own. There is no skip: without Chromium the test fails and says why.
/// </summary>
public static class HeadlessChromium
{
    public const string DefaultBinary = "/usr/bin/chromium";

    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    public static string Binary =>
        Environment.GetEnvironmentVariable("CHROMIUM_BINARY") is { Length: > 0 } binary ? binary : DefaultBinary;

    /// <summary>The DOM after the page's scripts ran for <paramref name="virtualTime"/> of virtual time.</summary>
    public static async Task<string> DumpDomAsync(Uri url, TimeSpan virtualTime) =>
        (await RunAsync(url, virtualTime, "--dump-dom")).StandardOutput;

    /// <summary>Saves a PNG of the rendered page at <paramref name="path"/>.</summary>
    public static async Task ScreenshotAsync(Uri url, TimeSpan virtualTime, string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Delete(path);
        var run = await RunAsync(url, virtualTime, $"--screenshot={path}", "--window-size=1440,1000", "--hide-scrollbars");
        if (!File.Exists(path)) throw new InvalidOperationException($"Chromium wrote no screenshot at {path}:\n{run.StandardError}");
    }

    private static async Task<(string StandardOutput, string StandardError)> RunAsync(Uri url, TimeSpan virtualTime, params string[] mode)
    {
        if (!File.Exists(Binary))
        {
            throw new InvalidOperationException(
                $"Chromium is not installed at {Binary} (Debian: apt-get install chromium; ./test.sh does it). " +
                $"The dashboard test fails rather than skips{(Environment.GetEnvironmentVariable("CI") == "true" ? " (CI=true)" : "")}.");
        }
        var profile = Directory.CreateTempSubdirectory("trademaster-chromium-").FullName;
        try
        {
            var info = new ProcessStartInfo(Binary)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])
            [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
                $"--virtual-time-budget={((int)virtualTime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)}",
            ])
            {
                info.ArgumentList.Add(argument);
            }
            foreach (var argument in mode) info.ArgumentList.Add(argument);
            info.ArgumentList.Add(url.ToString());

            using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {Binary}.");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(RunTimeout);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
                throw new TimeoutException($"Chromium did not finish {url} within {RunTimeout.TotalSeconds:0}s:\n{await stderr}");
            }
            var (output, error) = (await stdout, await stderr);
            if (process.ExitCode != 0) throw new InvalidOperationException($"Chromium exited with {process.ExitCode}:\n{error}");
            return (output, error);
        }
        finally
        {
            try { Directory.Delete(profile, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
