namespace TradeMaster.Bench.Reporting;

/// <summary>
/// The GC's counters since the process started: bytes allocated (every thread), collections of each generation and
/// the time the runtime was paused for them. The difference over a window says what the window cost the GC; with the
/// load generator in the same process, a pause holds up the requests due meanwhile too, and their latency, which is
/// measured from when they were due, shows it.
/// </summary>
public readonly record struct GcSample(long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan Paused)
{
    public static GcSample Take() =>
        new(GC.GetTotalAllocatedBytes(precise: false), GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration());

    /// <summary>
    /// The window's counters. CollectionCount(n) counts the collections of generation n or higher; here each collection
    /// is counted once, under the highest generation it collected.
    /// </summary>
    public static GcSample operator -(GcSample end, GcSample start)
    {
        var gen2 = end.Gen2 - start.Gen2;
        var gen1 = end.Gen1 - start.Gen1 - gen2;
        var gen0 = end.Gen0 - start.Gen0 - (end.Gen1 - start.Gen1);
        return new GcSample(end.Allocated - start.Allocated, gen0, gen1, gen2, end.Paused - start.Paused);
    }
}
