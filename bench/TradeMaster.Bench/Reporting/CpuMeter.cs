using System.Diagnostics;
using System.Globalization;

namespace TradeMaster.Bench.Reporting;

/// <summary>
/// CPU seconds used so far by this process (the embedded host and the load generator) and by a private PostgreSQL,
/// and the seconds the hypervisor gave this machine's virtual CPUs to someone else (steal, all CPUs together).
/// </summary>
public readonly record struct CpuSample(double ProcessSeconds, double PostgresSeconds, double StolenSeconds)
{
    public static CpuSample operator -(CpuSample end, CpuSample start) =>
        new(end.ProcessSeconds - start.ProcessSeconds, end.PostgresSeconds - start.PostgresSeconds, end.StolenSeconds - start.StolenSeconds);

    public double TotalSeconds => ProcessSeconds + PostgresSeconds;
}

/// <summary>
/// CPU time rather than wall time: on a 2-core machine shared with other work, the CPU a transaction costs is the
/// figure that does not move with the neighbours' load. PostgreSQL's share is read from <c>/proc</c>: the postmaster
/// (its pid is the first line of <c>postmaster.pid</c>), its live children (the backends, the checkpointer, the WAL
/// writer) and the children it has already reaped: Npgsql closes pooled connections idle for 5 minutes, and a
/// backend that exits takes its CPU time out of a sum over live processes (a 10-minute soak printed 4.8 s of
/// PostgreSQL CPU). Not on Linux, or without the data directory: NaN.
/// </summary>
public static class CpuMeter
{
    private const double ClockTicksPerSecond = 100; // USER_HZ, 100 on every Linux the project runs on

    public static CpuSample Take(string? postgresDataDirectory)
    {
        using var self = Process.GetCurrentProcess();
        return new CpuSample(self.TotalProcessorTime.TotalSeconds, postgresDataDirectory is null ? double.NaN : PostgresSeconds(postgresDataDirectory),
            StolenSeconds());
    }

    /// <summary>
    /// Steal time from the first line of <c>/proc/stat</c> (its eighth value, clock ticks summed over the CPUs): time a
    /// virtual CPU wanted to run and the hypervisor ran another guest instead. On a shared host it is why two runs of
    /// the same code differ; NaN where the kernel does not say.
    /// </summary>
    private static double StolenSeconds()
    {
        if (!OperatingSystem.IsLinux()) return double.NaN;
        try
        {
            var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 8 && fields[0] == "cpu" ? long.Parse(fields[8], CultureInfo.InvariantCulture) / ClockTicksPerSecond : double.NaN;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    private static double PostgresSeconds(string dataDirectory)
    {
        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (!OperatingSystem.IsLinux() || !File.Exists(pidFile)) return double.NaN;
        try
        {
            var postmaster = int.Parse(File.ReadLines(pidFile).First(), CultureInfo.InvariantCulture);
            var ticks = 0L;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid)) continue;
                if (Stat(pid) is not { } stat) continue;
                if (pid == postmaster) ticks += stat.Ticks + stat.ReapedChildTicks;
                else if (stat.ParentPid == postmaster) ticks += stat.Ticks;
            }
            return ticks / ClockTicksPerSecond;
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            return double.NaN;
        }
    }

    /// <summary>
    /// Parent pid, user + system clock ticks, and those of its exited and reaped children from <c>/proc/PID/stat</c>
    /// (fields 4, 14 + 15, 16 + 17; the name in parentheses may hold spaces).
    /// </summary>
    private static (int ParentPid, long Ticks, long ReapedChildTicks)? Stat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // exited meanwhile
        }
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (int.Parse(fields[1], CultureInfo.InvariantCulture),
            long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture),
            long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture));
    }
}
