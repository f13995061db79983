using System.Diagnostics;
using HdrHistogram;
using TradeMaster.Bench.Reporting;

namespace TradeMaster.Bench.Baselines;

public sealed record ClosedLoopResult(string Label, int Concurrency, TimeSpan Duration, long Completed, long Errors, LongHistogram LatencyMicros, string? FirstError,
    JitSample? WindowJit = null, TimeSpan? Warmup = null)
{
    public double PerSecond => Completed / Duration.TotalSeconds;

    public double Ms(double percentile) => LatencyMicros.TotalCount == 0 ? double.NaN : LatencyMicros.GetValueAtPercentile(percentile) / 1000.0;
}

/// <summary>
/// The baselines' driver: <c>concurrency</c> workers, each issuing its next operation as soon as the previous one
/// answered (the way pgbench and the write figures were measured). Counts what completes in the window
/// after a warm-up; bounded by count of workers and by time. The warm-up lasts at least <c>warmup</c>, then until a
/// second in which the JIT spent under <see cref="SteadyJitPerSecond"/> (at most <see cref="MaxWarmupExtension"/>
/// more): a baseline whose code nothing ran before (the naive grain) otherwise measures the tiered JIT, as the
/// 01:39 run's naive ledger did with 1.7 s of compilation inside its 15-s window.
/// </summary>
public static class ClosedLoop
{
    public static readonly TimeSpan SteadyJitPerSecond = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan MaxWarmupExtension = TimeSpan.FromSeconds(20);

    public static async Task<ClosedLoopResult> RunAsync(string label, int concurrency, TimeSpan warmup, TimeSpan duration, Func<int, long, Task> operation)
    {
        var frequency = (double)Stopwatch.Frequency;
        var start = Stopwatch.GetTimestamp();
        // Set once the warm-up is over (the end first, so no worker counts an operation without a window end).
        long windowStart = long.MaxValue, windowEnd = long.MaxValue;
        var histograms = new LongHistogram[concurrency];
        var completed = new long[concurrency];
        var errors = new long[concurrency];
        string? firstError = null;
        var jit = Task.Run(async () =>
        {
            await Task.Delay(warmup);
            var quiet = new JitQuiet(SteadyJitPerSecond);
            for (var extra = TimeSpan.Zero; extra < MaxWarmupExtension; extra += TimeSpan.FromSeconds(1))
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
                if (quiet.Close() >= 1) break;
            }
            var atStart = JitSample.Take();
            var opened = Stopwatch.GetTimestamp();
            Volatile.Write(ref windowEnd, opened + (long)(duration.TotalSeconds * frequency));
            Volatile.Write(ref windowStart, opened);
            await Task.Delay(duration);
            return (Jit: JitSample.Take() - atStart, Warmup: TimeSpan.FromSeconds((opened - start) / frequency));
        });
        var workers = Enumerable.Range(0, concurrency).Select(worker => Task.Run(async () =>
        {
            var histogram = histograms[worker] = new LongHistogram(1, 600_000_000L, 3);
            for (long n = 0; ; n++)
            {
                var before = Stopwatch.GetTimestamp();
                if (before >= Volatile.Read(ref windowEnd) || Interruption.Requested) break;
                try
                {
                    await operation(worker, n);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    firstError ??= $"{e.GetType().Name}: {e.Message}";
                    if (before >= Volatile.Read(ref windowStart)) errors[worker]++;
                    continue;
                }
                var after = Stopwatch.GetTimestamp();
                if (before >= Volatile.Read(ref windowStart) && after <= Volatile.Read(ref windowEnd))
                {
                    completed[worker]++;
                    histogram.RecordValue(Math.Max(1, (long)((after - before) * 1_000_000.0 / frequency)));
                }
            }
        })).ToArray();
        await Task.WhenAll(workers);
        var all = new LongHistogram(1, 600_000_000L, 3);
        foreach (var h in histograms) all.Add(h);
        var (windowJit, warmedUp) = await jit;
        return new ClosedLoopResult(label, concurrency, duration, completed.Sum(), errors.Sum(), all, firstError, windowJit, warmedUp);
    }
}
