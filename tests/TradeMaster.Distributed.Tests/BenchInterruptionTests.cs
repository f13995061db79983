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

    [Fact]
    public async Task Bench_SigtermDuringALoadRun_StopsItsPostgresDeletesItsDataAndExits143()
    {
        var data = Path.Combine(Path.GetTempPath(), $"trademaster-bench-interrupt-{Guid.NewGuid():N}");
        await using var bench = ServiceProcess.Start("bench", "TradeMaster.Bench", new Dictionary<string, string>(),
            "load", "--rate", "200", "--duration", "600", "--prewarm", "600", "--data", data);
        var postgresPid = 0;
        try
        {
            // The pre-warm starts once the embedded host (and its PostgreSQL) answers: interrupt the bench there.
            var postmasterPid = Path.Combine(data, "postgres", "pgdata", "postmaster.pid");
            await Poll.UntilAsync(() => bench.HasExited || bench.Output.Contains("pre-warm", StringComparison.Ordinal),
                TimeSpan.FromMinutes(3), "the bench starts its pre-warm");
            Assert.False(bench.HasExited, bench.Output);
            postgresPid = int.Parse(File.ReadLines(postmasterPid).First(), CultureInfo.InvariantCulture);
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

    private static bool IsRunning(int pid) => Directory.Exists($"/proc/{pid}") &&
        !File.ReadAllText($"/proc/{pid}/stat").Split(") ", 2)[1].StartsWith('Z');
}
