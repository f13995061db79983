using System.Runtime;

namespace TradeMaster.Bench.Reporting;

/// <summary>
/// Methods the JIT compiled and the time it spent doing so, all threads, since the process started. Tiered
/// compilation keeps recompiling hot methods (tier 0, instrumented, tier 1) for tens of seconds under new load, and
/// on two cores that time is taken from the host being measured; the difference over a window says whether the window
/// was steady.
/// </summary>
public readonly record struct JitSample(long Methods, TimeSpan Time)
{
    public static JitSample Take() => new(JitInfo.GetCompiledMethodCount(), JitInfo.GetCompilationTime());

    public static JitSample operator -(JitSample end, JitSample start) => new(end.Methods - start.Methods, end.Time - start.Time);
}
