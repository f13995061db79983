namespace TradeMaster.Bench.Reporting;

/// <summary>
/// The warm-ups' steady-state rule: consecutive one-second windows in which the JIT spent less than a threshold.
/// The caller closes a window (<see cref="Close"/>) once a second, the first one opening with the constructor.
/// </summary>
public sealed class JitQuiet(TimeSpan threshold)
{
    private JitSample _last = JitSample.Take();
    private int _quietInARow;

    /// <summary>Ends the current window and opens the next; answers how many windows in a row were quiet.</summary>
    public int Close()
    {
        var now = JitSample.Take();
        _quietInARow = (now - _last).Time < threshold ? _quietInARow + 1 : 0;
        _last = now;
        return _quietInARow;
    }
}
