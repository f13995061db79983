using System.Globalization;
using TradeMaster.Testing;
using Xunit.Abstractions;

namespace TradeMaster.Distributed.Tests;

/// <summary>
/// The benchmark stopped in the middle of a run, as a user does with Ctrl+C or a supervisor with SIGTERM: it stops the
/// embedded host and its private PostgreSQL, deletes its data directory and exits at once with 128 + the signal.
/// </summary>
public sealed class BenchInterruptionTests(ITestOutputHelper output)
{
    private const int SigTerm = 15;

    /// <param name="moment">
    /// <c>starting</c>: as soon as the private PostgreSQL is up, while the host migrates and seeds it (no host to stop
    /// yet); <c>pre-warm</c>: once the host answers and the bench is sending it work.
    /// </param>
    [Theory]
    [InlineData("starting")]
    [InlineData("pre-warm")]
    public async Task Bench_Sigterm_StopsItsPostgresDeletesItsDataAndExits143(string moment)
    {
        var data = Path.Combine(Path.GetTempPath(), $"trademaster-bench-interrupt-{Guid.NewGuid():N}");
        await using var bench = ServiceProcess.Start("bench", "TradeMaster.Bench", new Dictionary<string, string>(),
            "load", "--rate", "200", "--duration", "600", "--prewarm", "600", "--data", data);
        var postgresPid = 0;
        try
        {
            var postmasterPid = Path.Combine(data, "postgres", "pgdata", "postmaster.pid");
            await Poll.UntilAsync(() => bench.HasExited || (moment == "starting"
                    ? PostmasterPid(postmasterPid) > 0
                    : bench.Output.Contains("pre-warm", StringComparison.Ordinal)),
                TimeSpan.FromMinutes(3), $"the bench reaches the moment '{moment}'");
            Assert.False(bench.HasExited, bench.Output);
            postgresPid = PostmasterPid(postmasterPid);
            Assert.True(IsRunning(postgresPid));

            bench.Signal(SigTerm);
            var exitCode = await bench.WaitForExitAsync(TimeSpan.FromSeconds(90));

            Assert.True(exitCode is not null, $"The bench was still running 90 s after SIGTERM.\n{bench.Output}");
            Assert.Equal(128 + SigTerm, exitCode);
            Assert.Contains("Interrupted (SIGTERM)", bench.Output, StringComparison.Ordinal);
            Assert.False(IsRunning(postgresPid), $"PostgreSQL (pid {postgresPid}) outlived the bench.");
            Assert.False(Directory.Exists(data), $"{data} was left behind.");
        }
        finally
        {
            output.WriteLine(bench.Output);
            // A failed run must not leave its server behind either.
            if (postgresPid > 0 && IsRunning(postgresPid)) System.Diagnostics.Process.GetProcessById(postgresPid).Kill(entireProcessTree: true);
            if (Directory.Exists(data)) Directory.Delete(data, recursive: true);
        }
    }

    /// <summary>The postmaster's pid once PostgreSQL has written its pid file (0 before).</summary>
    private static int PostmasterPid(string pidFile)
    {
        try
        {
            return int.TryParse(File.ReadLines(pidFile).FirstOrDefault(), CultureInfo.InvariantCulture, out var pid) ? pid : 0;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Alive and not a zombie; a process that ends while this reads it counts as gone.</summary>
    private static bool IsRunning(int pid)
    {
        try
        {
            return !File.ReadAllText($"/proc/{pid}/stat").Split(") ", 2)[1].StartsWith('Z');
        }
        catch (IOException)
        {
            return false;
        }
    }
}
