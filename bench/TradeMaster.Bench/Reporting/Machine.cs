using System.Runtime.InteropServices;
using Npgsql;

namespace TradeMaster.Bench.Reporting;

/// <summary>The machine line every run prints: cores, memory, CPU model, .NET, PostgreSQL, load average.</summary>
public static class Machine
{
    public static string CpuModel() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?"
            : "?";

    public static string MemoryTotal()
    {
        var line = File.Exists("/proc/meminfo") ? File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) : null;
        return line is null ? "?" : $"{long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0:F1} GiB";
    }

    public static string LoadAverage() => File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "?";

    public static async Task<string> PostgresVersionAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("show server_version");
        var version = (string?)await command.ExecuteScalarAsync();
        await using var fsync = dataSource.CreateCommand("select current_setting('fsync') || '/' || current_setting('synchronous_commit')");
        return $"PostgreSQL {version} (fsync/synchronous_commit {(string?)await fsync.ExecuteScalarAsync()})";
    }

    public static string Line(string? postgres) =>
        $"nproc {Environment.ProcessorCount} · {MemoryTotal()} · {CpuModel()} · {RuntimeInformation.FrameworkDescription} ({RuntimeInformation.OSDescription}) · " +
        $"{postgres ?? "PostgreSQL ?"} · server GC {System.Runtime.GCSettings.IsServerGC} · load avg {LoadAverage()}";
}
