namespace TradeMaster.Silo.Tests;

/// <summary>Real time plus an offset the test moves forward: "five days later" without waiting five days.</summary>
public sealed class ShiftedTimeProvider : TimeProvider
{
    private long _offsetTicks;

    public void Advance(TimeSpan by) => Interlocked.Add(ref _offsetTicks, by.Ticks);

    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + TimeSpan.FromTicks(Interlocked.Read(ref _offsetTicks));
}
