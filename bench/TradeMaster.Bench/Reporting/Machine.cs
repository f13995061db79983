using System.Runtime.InteropServices;
using Npgsql;

namespace TradeMaster.Bench.Reporting;

/// <summary>The machine line every run prints: cores, memory, CPU model, .NET, PostgreSQL, the collector, load average.</summary>
public static class Machine
{
    /// <summary>The model name with its family, model and clock: the same name ("AMD EPYC") covers CPUs of different generations.</summary>
    public static string CpuModel()
    {
        if (!File.Exists("/proc/cpuinfo")) return "?";
        var fields = File.ReadLines("/proc/cpuinfo").TakeWhile(l => l.Length > 0).Select(l => l.Split(':', 2)).Where(f => f.Length == 2)
            .GroupBy(f => f[0].Trim()).ToDictionary(g => g.Key, g => g.First()[1].Trim());
        var name = fields.GetValueOrDefault("model name", "?");
        return fields.TryGetValue("cpu family", out var family) && fields.TryGetValue("model", out var model)
            ? $"{name} (family {family} model {model}{(fields.TryGetValue("cpu MHz", out var mhz) ? $", {mhz.Split('.')[0]} MHz" : "")})"
            : name;
    }

    /// <summary>The collector as configured: server or workstation, heaps, DATAS, and the floor and cap on generation 0's allowance per heap.</summary>
    public static string Gc()
    {
        var config = GC.GetConfigurationVariables();
        string Value(string key) => config.TryGetValue(key, out var value) ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) ?? "?" : "?";
        var server = System.Runtime.GCSettings.IsServerGC;
        var parts = new List<string>();
        if (server) parts.Add($"{Value("HeapCount")} heaps");
        parts.Add(Value("GCDynamicAdaptationMode") == "1" ? "DATAS on" : "DATAS off");
        if (Gen0MinBudget() is { } floor) parts.Add($"gen 0 ≥ {floor / 1048576} MiB per heap (DOTNET_GCgen0size)");
        if (long.TryParse(Value("GCGen0MaxBudget"), out var budget) && budget > 0) parts.Add($"gen 0 ≤ {budget / 1048576} MiB per heap");
        return $"{(server ? "server" : "workstation")} GC ({string.Join(", ", parts)})";
    }

    /// <summary>
    /// The floor under generation 0's allowance per heap, which the runtime reads from the environment only (no
    /// runtimeconfig.json name, so <see cref="GC.GetConfigurationVariables"/> does not list it): hexadecimal, as every
    /// number in a DOTNET_ variable.
    /// </summary>
    private static long? Gen0MinBudget()
    {
        var text = Environment.GetEnvironmentVariable("DOTNET_GCgen0size") ?? Environment.GetEnvironmentVariable("COMPlus_GCgen0size");
        if (text is null) return null;
        if (text.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) text = text[2..];
        return long.TryParse(text, System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var bytes) && bytes > 0 ? bytes : null;
    }

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
        $"{postgres ?? "PostgreSQL ?"} · {Gc()} · load avg {LoadAverage()}";
}
