using System.Diagnostics.Tracing;
using System.Globalization;

namespace TradeMaster.Bench.Reporting;

/// <summary>
/// <c>--jit-log FILE</c>: every method the JIT compiles, one line each (the local time, as the progress lines print it, the tier the
/// runtime gave it, its name), from the runtime's own events. <see cref="JitSample"/> says how much the JIT did in a
/// window; this says what, so code first hot only at the measured rate can be found and warmed.
/// </summary>
public sealed class JitLog : EventListener
{
    private const EventKeywords JitKeyword = (EventKeywords)0x10;
    private const int MethodLoadVerbose = 143;
    private readonly StreamWriter _out;
    private readonly Lock _gate = new();

    public JitLog(string path)
    {
        _out = new StreamWriter(path) { AutoFlush = false };
        _out.WriteLine("time\ttier\tmethod");
        // Sources created before this constructor ran were offered to OnEventSourceCreated before _out was set.
        foreach (var source in EventSource.GetSources()) Enable(source);
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (_out is not null) Enable(eventSource);
    }

    private void Enable(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, JitKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventId != MethodLoadVerbose || eventData.Payload is not { } payload || eventData.PayloadNames is not { } names) return;
        string Field(string name) => names.IndexOf(name) is var i and >= 0 ? Convert.ToString(payload[i], CultureInfo.InvariantCulture) ?? "" : "";
        var flags = Convert.ToUInt32(payload[names.IndexOf("MethodFlags")], CultureInfo.InvariantCulture);
        // MethodFlags bits 7–9: the optimization tier (1 MinOpts, 2 optimized, 3 tier 0, 4 tier 1, 5 ReadyToRun, 6 instrumented tier, 7 instrumented optimized).
        var tier = ((flags >> 7) & 7) switch { 1 => "minopts", 2 => "optimized", 3 => "tier0", 4 => "tier1", 5 => "r2r", 6 => "tier0-instr", 7 => "tier1-instr", var t => t.ToString(CultureInfo.InvariantCulture) };
        var line = string.Create(CultureInfo.InvariantCulture, $"{DateTime.Now:HH:mm:ss.fff}\t{tier}\t{Field("MethodNamespace")}::{Field("MethodName")}");
        lock (_gate) _out.WriteLine(line);
    }

    public override void Dispose()
    {
        base.Dispose();
        lock (_gate) _out.Dispose();
    }
}
