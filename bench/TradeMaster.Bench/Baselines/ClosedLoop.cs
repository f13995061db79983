using System.Diagnostics;
using HdrHistogram;
using TradeMaster.Bench.Reporting;

namespace TradeMaster.Bench.Baselines;

public sealed record ClosedLoopResult(string Label, int Concurrency, TimeSpan Duration, long Completed, long Errors, LongHistogram LatencyMicros, string? FirstError,
    JitSample? WindowJit = null)
{
    public double PerSecond => Completed / Duration.TotalSeconds;

    public double Ms(double percentile) => LatencyMicros.TotalCount == 0 ? double.NaN : LatencyMicros.GetValueAtPercentile(percentile) / 1000.0;
}

/// <summary>
/// The baselines' driver: <c>concurrency</c> workers, each issuing its next operation as soon as the previous one
/// answered (the way pgbench and the write figures were measured). Counts what completes in the window
/// after a warm-up; bounded by count of workers and by time.
/// </summary>
public static class ClosedLoop
{
    public static async Task<ClosedLoopResult> RunAsync(string label, int concurrency, TimeSpan warmup, TimeSpan duration, Func<int, long, Task> operation)
    {
        var frequency = (double)Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + (long)(warmup.TotalSeconds * frequency);
        var windowEnd = windowStart + (long)(duration.TotalSeconds * frequency);
        var histograms = new LongHistogram[concurrency];
        var completed = new long[concurrency];
        var errors = new long[concurrency];
        string? firstError = null;
        var jit = Task.Run(async () =>
        {
            await Task.Delay(warmup);
            var atStart = JitSample.Take();
            await Task.Delay(duration);
            return JitSample.Take() - atStart;
        });
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var histogram = histograms[worker] = new LongHistogram(1, 600_000_000L, 3);
            for (long n = 0; ; n++)
            {
                var before = Stopwatch.GetTimestamp();
                if (before >= windowEnd) break;
                try
                {
                    await operation(worker, n);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    firstError ??= $"{e.GetType().Name}: {e.Message}";
                    if (before >= windowStart) errors[worker]++;
                    continue;
                }
                var after = Stopwatch.GetTimestamp();
                if (before >= windowStart && after <= windowEnd)
                {
                    completed[worker]++;
                    histogram.RecordValue(Math.Max(1, (long)((after - before) * 1_000_000.0 / frequency)));
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var all = new LongHistogram(1, 600_000_000L, 3);
        foreach (var h in histograms) all.Add(h);
        return new ClosedLoopResult(label, concurrency, duration, completed.Sum(), errors.Sum(), all, firstError, await jit);
    }
}
