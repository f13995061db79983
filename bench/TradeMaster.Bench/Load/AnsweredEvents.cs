namespace TradeMaster.Bench.Load;

/// <summary>
/// The events the ledger said it recorded in one run (event id → UTC ticks of the answer), in arrays sized for the
/// whole run up front: the load generator shares its process with the host whose memory the soak measures, so its
/// own bookkeeping must not grow with every answer (a dictionary of 1.5 million entries did, by ~80 MB).
/// </summary>
public sealed class AnsweredEvents(long capacity)
{
    private readonly Guid[] _ids = new Guid[capacity];
    private readonly long[] _ticks = new long[capacity];
    private long _count;
    private bool _sorted;

    public int Count => (int)Math.Min(Interlocked.Read(ref _count), _ids.Length);

    /// <summary>Thread-safe while the run lasts; an answer beyond the run's capacity (cannot happen) is dropped.</summary>
    public void Add(Guid eventId, long answeredTicks)
    {
        var index = Interlocked.Increment(ref _count) - 1;
        if (index >= _ids.Length) return;
        _ids[index] = eventId;
        _ticks[index] = answeredTicks;
    }

    /// <summary>Index of an event, or -1. The first call sorts in place: call it only once the run is over.</summary>
    public int IndexOf(Guid eventId)
    {
        if (!_sorted)
        {
            Array.Sort(_ids, _ticks, 0, Count);
            _sorted = true;
        }
        var index = Array.BinarySearch(_ids, 0, Count, eventId);
        return index < 0 ? -1 : index;
    }

    public long TicksAt(int index) => _ticks[index];
}
