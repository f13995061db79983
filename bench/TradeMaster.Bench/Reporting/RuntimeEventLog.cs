using System.Diagnostics.Tracing;
using System.Globalization;

namespace TradeMaster.Bench.Reporting;

/// <summary>
/// One of the runtime's own events (<c>Microsoft-Windows-DotNETRuntime</c>, in process), written to a file one line
/// each, starting with the local time as the progress lines print it, so a window of the run can be cut out of it.
/// </summary>
public abstract class RuntimeEventLog : EventListener
{
    private readonly StreamWriter? _out;
    private readonly EventKeywords _keywords;
    private readonly int _eventId;
    private readonly Lock _gate = new();

    protected RuntimeEventLog(string path, string header, EventKeywords keywords, int eventId)
    {
        _keywords = keywords;
        _eventId = eventId;
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
        if (eventData.EventId != _eventId || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names) return;
        var line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff}\t{Fields(payload, names)}");
        lock (_gate) _out!.WriteLine(line);
    }

    /// <summary>The line's fields after the time, tab-separated.</summary>
    protected abstract string Fields(IReadOnlyList<object?> payload, IReadOnlyList<string> names);

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
public sealed class JitLog(string path) : RuntimeEventLog(path, "tier\tmethod", (EventKeywords)0x10, eventId: 143)
{
    protected override string Fields(IReadOnlyList<object?> payload, IReadOnlyList<string> names)
    {
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
public sealed class AllocationLog(string path) : RuntimeEventLog(path, "bytes\ttype", (EventKeywords)0x1, eventId: 10)
{
    protected override string Fields(IReadOnlyList<object?> payload, IReadOnlyList<string> names) =>
        string.Create(CultureInfo.InvariantCulture, $"{Number(payload, names, "AllocationAmount64")}\t{Text(payload, names, "TypeName")}");
}
