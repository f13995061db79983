using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using HdrHistogram;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Bench.Reporting;

/// <summary>
/// The ledger's own histograms (meter <c>TradeMaster.Ledger</c>) over a measured window, read in-process: how long a
/// transaction spent inside its store grain, how long the merged journal commits and the id look-ups took and how
/// big they were. Set against the HTTP latency, they say where a slow answer waited. Empty when the ledger runs in
/// another process (<c>load --url</c>).
/// </summary>
public sealed class LedgerWindow : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<string, LongConcurrentHistogram> _values = new();
    private readonly TimeSpan _window;
    private readonly long _started = System.Diagnostics.Stopwatch.GetTimestamp();
    private TimeSpan? _elapsed;

    public LedgerWindow(TimeSpan window)
    {
        _window = window;
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == LedgerMetrics.MeterName) listener.EnableMeasurementEvents(instrument);
        };
        // Milliseconds are kept as microseconds, counts as they are.
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            Record(instrument.Name, (long)(value * 1000));
            foreach (var tag in tags)
            {
                if (tag.Key == "kind") Record($"{instrument.Name}/{tag.Value}", (long)(value * 1000));
            }
        });
        _listener.SetMeasurementEventCallback<int>((instrument, value, _, _) => Record(instrument.Name, value));
        _listener.Start();
    }

    /// <summary>Stops listening: what follows is outside the window.</summary>
    public void Dispose()
    {
        _elapsed ??= System.Diagnostics.Stopwatch.GetElapsedTime(_started);
        _listener.Dispose();
    }

    private void Record(string instrument, long value) =>
        _values.GetOrAdd(instrument, _ => new LongConcurrentHistogram(1, 3_600_000_000L, 3)).RecordValue(Math.Max(1, value));

    /// <summary>One line for the run's report, or null when the ledger recorded nothing here.</summary>
    public string? Describe()
    {
        if (!_values.TryGetValue(LedgerMetrics.TransactionDuration.Name, out var inGrain)) return null;
        var seconds = (_elapsed ?? _window).TotalSeconds;
        var parts = new List<string> { $"in the store grain (look-up, checks, commit) ms {Millis(inGrain)}" };
        foreach (var (name, kind) in _values.Where(p => p.Key.StartsWith(LedgerMetrics.TransactionDuration.Name + "/", StringComparison.Ordinal)).OrderByDescending(p => p.Value.TotalCount))
        {
            parts.Add($"{name[(LedgerMetrics.TransactionDuration.Name.Length + 1)..]} {kind.TotalCount:N0}, ms {Millis(kind)}");
        }
        if (_values.TryGetValue(LedgerMetrics.CommitDuration.Name, out var storeCommit))
        {
            parts.Add($"a store's batch until durable ms {Millis(storeCommit)}");
        }
        if (_values.TryGetValue(LedgerMetrics.JournalRoundDuration.Name, out var round) && _values.TryGetValue(LedgerMetrics.JournalRoundSize.Name, out var size))
        {
            parts.Add($"{round.TotalCount:N0} merged commits ({round.TotalCount / seconds:N0}/s) of {size.GetMean():F1} writes on average (max {size.GetMaxValue():N0}), ms {Millis(round)}");
        }
        if (_values.TryGetValue(LedgerMetrics.LookupDuration.Name, out var lookup))
        {
            parts.Add($"{lookup.TotalCount:N0} id look-ups ({lookup.TotalCount / seconds:N0}/s), ms {Millis(lookup)}");
        }
        return "ledger in the window: " + string.Join("; ", parts);
    }

    private static string Millis(HistogramBase h) =>
        $"p50/p90/p99/max {h.GetValueAtPercentile(50) / 1000.0:F1}/{h.GetValueAtPercentile(90) / 1000.0:F1}/{h.GetValueAtPercentile(99) / 1000.0:F1}/{h.GetMaxValue() / 1000.0:F1}";
}
