using System.Diagnostics.Tracing;
using System.Globalization;

namespace TradeMaster.Bench.Reporting;

/// <summary>
/// The runtime's own events (<c>Microsoft-Windows-DotNETRuntime</c>, in process), written to a file one line each,
/// starting with the local time as the progress lines print it, so a window of the run can be cut out of it. The time
/// is the event's own (the runtime's timestamp), not when this listener got it: the events reach an in-process listener
/// in batches, some time after they happened, and stamped on arrival a collection showed up a second after the slow
/// second it caused.
/// </summary>
public abstract class RuntimeEventLog : EventListener
{
    private readonly StreamWriter? _out;
    private readonly EventKeywords _keywords;
    private readonly Lock _gate = new();

    protected RuntimeEventLog(string path, string header, EventKeywords keywords)
    {
        _keywords = keywords;
        _out = new StreamWriter(path) { AutoFlush = false };
        _out.WriteLine("time\t" + header);
        // Sources created before this constructor ran were offered to OnEventSourceCreated before _out was set.
        foreach (var source in EventSource.GetSources()) Enable(source);
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (_out is not null) Enable(eventSource);
    }

    private void Enable(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, _keywords);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.Payload is not { } payload || eventData.PayloadNames is not { } names) return;
        lock (_gate)
        {
            if (Fields(eventData.EventId, payload, names, eventData.TimeStamp) is { } fields)
            {
                _out!.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{eventData.TimeStamp.ToLocalTime():HH:mm:ss.fff}\t{fields}"));
            }
        }
    }

    /// <summary>The line's fields after the time, tab-separated, or null when the event makes no line (called under a lock, in event order).</summary>
    protected abstract string? Fields(int eventId, IReadOnlyList<object?> payload, IReadOnlyList<string> names, DateTime timeStamp);

    protected static string Text(IReadOnlyList<object?> payload, IReadOnlyList<string> names, string name) =>
        IndexOf(names, name) is var i and >= 0 ? Convert.ToString(payload[i], CultureInfo.InvariantCulture) ?? "" : "";

    protected static long Number(IReadOnlyList<object?> payload, IReadOnlyList<string> names, string name) =>
        IndexOf(names, name) is var i and >= 0 ? Convert.ToInt64(payload[i], CultureInfo.InvariantCulture) : 0;

    private static int IndexOf(IReadOnlyList<string> names, string name)
    {
        for (var i = 0; i < names.Count; i++) if (names[i] == name) return i;
        return -1;
    }

    public override void Dispose()
    {
        base.Dispose();
        lock (_gate) _out?.Dispose();
        GC.SuppressFinalize(this);
    }
}

/// <summary>
/// <c>--jit-log FILE</c>: every method the JIT compiles, with the tier the runtime gave it. <see cref="JitSample"/> says
/// how much the JIT did in a window; this says what, so code first hot only at the measured rate can be named.
/// </summary>
public sealed class JitLog(string path) : RuntimeEventLog(path, "tier\tmethod", (EventKeywords)0x10)
{
    protected override string? Fields(int eventId, IReadOnlyList<object?> payload, IReadOnlyList<string> names, DateTime timeStamp)
    {
        if (eventId != 143) return null; // MethodLoadVerbose
        // MethodFlags bits 7–9: the optimization tier (1 MinOpts, 2 optimized, 3 tier 0, 4 tier 1, 5 ReadyToRun, 6 instrumented tier 0, 7 instrumented tier 1).
        var tier = (Number(payload, names, "MethodFlags") >> 7 & 7) switch
        {
            1 => "minopts", 2 => "optimized", 3 => "tier0", 4 => "tier1", 5 => "r2r", 6 => "tier0-instr", 7 => "tier1-instr",
            var t => t.ToString(CultureInfo.InvariantCulture),
        };
        return $"{tier}\t{Text(payload, names, "MethodNamespace")}::{Text(payload, names, "MethodName")}";
    }
}

/// <summary>
/// <c>--alloc-log FILE</c>: the runtime's allocation samples (one about every 100 KB a thread allocates, naming the type
/// of the object that crossed the mark), with the bytes each stands for. Summed by type over a window they say what its
/// allocations are made of; <see cref="GcSample"/> says only how much.
/// </summary>
public sealed class AllocationLog(string path) : RuntimeEventLog(path, "bytes\theap\ttype", (EventKeywords)0x1)
{
    protected override string? Fields(int eventId, IReadOnlyList<object?> payload, IReadOnlyList<string> names, DateTime timeStamp) =>
        eventId != 10 ? null // GCAllocationTick
            : string.Create(CultureInfo.InvariantCulture,
                $"{Number(payload, names, "AllocationAmount64")}\t{HeapOf(Number(payload, names, "AllocationKind"))}\t{Text(payload, names, "TypeName")}");

    // The sample's AllocationKind: objects of 85,000 bytes and more go to the large object heap, whose allocations
    // count toward its own budget and start a full (background) collection when it runs out.
    private static string HeapOf(long kind) => kind switch { 0 => "small", 1 => "large", 2 => "pinned", _ => kind.ToString(CultureInfo.InvariantCulture) };
}

/// <summary>
/// <c>--gc-log FILE</c>: every garbage collection (its line's time is the end of its pause), with its generation, kind and reason, and how long the runtime held
/// every managed thread for it (from starting to suspend them to letting them go, and of that how long getting them all to
/// stop took: on two busy cores a thread that is not running has to be scheduled first). A request in flight during such a pause
/// waits it out, so the log says which of a window's slow seconds a collection explains; <see cref="GcSample"/> gives
/// only the window's total. The last columns split what the collection marked (summed over the heaps) by where it
/// found it: from the threads' stacks, from GC handles (Orleans' and the runtime's), and from older generations
/// through the card table (references an old object was given to a young one since the last collection). What a
/// young collection copies, and so its pause, follows those roots.
/// </summary>
public sealed class GcLog(string path) : RuntimeEventLog(path, "gen\ttype\treason\tpause ms\tof which suspending ms\tpromoted MB\tmarked from stacks MB\tfrom handles MB\tfrom older generations MB\tfrom the rest MB", (EventKeywords)0x1)
{
    private DateTime _suspended;
    private double _suspending;
    private string _promoted = "-";
    private string _collection = "";
    private readonly long[] _marked = new long[4];

    protected override string? Fields(int eventId, IReadOnlyList<object?> payload, IReadOnlyList<string> names, DateTime timeStamp)
    {
        switch (eventId)
        {
            case 9: // GCSuspendEEBegin; a suspension without a collection (the tiered JIT's, say) keeps its reason
                _suspended = timeStamp;
                _suspending = double.NaN;
                _promoted = "-";
                _collection = string.Create(CultureInfo.InvariantCulture, $"-\t-\tsuspension {Number(payload, names, "Reason")}");
                Array.Clear(_marked);
                return null;
            case 8 when _suspended != default: // GCSuspendEEEnd: every managed thread has stopped
                _suspending = (timeStamp - _suspended).TotalMilliseconds;
                return null;
            case 4: // GCHeapStats, at the end of a collection: what it promoted (copied or kept) out of gens 0 and 1
                _promoted = string.Create(CultureInfo.InvariantCulture,
                    $"{(Number(payload, names, "TotalPromotedSize0") + Number(payload, names, "TotalPromotedSize1")) / 1048576.0:F1}");
                return null;
            case 1: // GCStart: Depth is the generation collected; Type 0 blocking, 1 background, 2 foreground during a background one
                _collection = string.Create(CultureInfo.InvariantCulture,
                    $"{Number(payload, names, "Depth")}\t{Number(payload, names, "Type") switch { 0 => "blocking", 1 => "background", _ => "foreground" }}\t{Number(payload, names, "Reason")}");
                return null;
            case 202: // GCMarkWithType, once per heap and root kind: 0 stacks, 2 handles, 3 older generations (cards), the rest finalization, overflow, dependent handles
                var bucket = Number(payload, names, "Type") switch { 0 => 0, 2 => 1, 3 => 2, _ => 3 };
                _marked[bucket] += Number(payload, names, "Bytes");
                return null;
            case 3 when _suspended != default: // GCRestartEEEnd: the pause is over
                var pause = (timeStamp - _suspended).TotalMilliseconds;
                _suspended = default;
                return string.Create(CultureInfo.InvariantCulture,
                    $"{_collection}\t{pause:F2}\t{_suspending:F2}\t{_promoted}\t{_marked[0] / 1048576.0:F1}\t{_marked[1] / 1048576.0:F1}\t{_marked[2] / 1048576.0:F1}\t{_marked[3] / 1048576.0:F1}");
            default:
                return null;
        }
    }
}
