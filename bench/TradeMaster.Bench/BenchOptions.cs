using System.Globalization;

namespace TradeMaster.Bench;

/// <summary>`--name value` pairs after the subcommand; unknown names are an error, so a typo never runs silently with defaults.</summary>
public sealed class BenchOptions
{
    private static readonly HashSet<string> Known =
    [
        "url", "rate", "duration", "warmup", "latency-rate", "latency-duration", "concurrency", "baseline-duration", "max-in-flight",
        "sink-events", "sink-core", "keep-data", "data", "connection", "lake", "events", "lake-deadline", "bare-rate", "prewarm",
        "high-concurrency", "malformed", "sink-url", "stage", "stock-scale", "steady-jit", "jit-log", "alloc-log", "gc-log",
    ];

    private readonly Dictionary<string, string> _values = new(StringComparer.Ordinal);

    public BenchOptions(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            if (!list[i].StartsWith("--", StringComparison.Ordinal)) throw new ArgumentException($"Unexpected argument '{list[i]}'.");
            var name = list[i][2..];
            if (!Known.Contains(name)) throw new ArgumentException($"Unknown option --{name}. Known: {string.Join(", ", Known.Order().Select(k => "--" + k))}.");
            _values[name] = i + 1 < list.Count && !list[i + 1].StartsWith("--", StringComparison.Ordinal) ? list[++i] : "true";
        }
    }

    public string? Text(string name) => _values.GetValueOrDefault(name);

    public double Number(string name, double fallback) =>
        _values.TryGetValue(name, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public int Integer(string name, int fallback) => (int)Number(name, fallback);

    public TimeSpan Seconds(string name, double fallback) => TimeSpan.FromSeconds(Number(name, fallback));

    public bool Flag(string name) => _values.TryGetValue(name, out var v) && v != "false";
}
