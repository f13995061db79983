using System.Threading.Channels;

namespace TradeMaster.Contracts.Events;

/// <summary>
/// One event handed to the in-process sink; the sink calls <see cref="Acknowledge"/> once it is durable, or
/// <see cref="Fail"/>. Each is counted once, whichever comes first.
/// </summary>
public sealed class InProcessDelivery
{
    private readonly InProcessEventBus.PublishCall _call;
    private OutgoingEvent? _event;
    private int _ended;

    internal InProcessDelivery(OutgoingEvent @event, InProcessEventBus.PublishCall call)
    {
        _event = @event;
        _call = call;
    }

    public OutgoingEvent Event => _event ?? throw new InvalidOperationException("The sink has taken this delivery's event.");

    /// <summary>
    /// The event, for a sink that is done with it once it has read it (its own copy waits for the lake): the
    /// delivery no longer holds it, so it is not kept alive until the acknowledgement.
    /// </summary>
    public OutgoingEvent TakeEvent()
    {
        var taken = Event;
        _event = null;
        return taken;
    }

    /// <summary>The event is in the lake or in the rejected set: the publisher may forget it.</summary>
    public void Acknowledge()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0) _call.End(null);
    }

    /// <summary>The sink could not make it durable; the publisher keeps it and retries.</summary>
    public void Fail(Exception error)
    {
        if (Interlocked.Exchange(ref _ended, 1) == 0) _call.End(error);
    }
}

/// <summary>
/// The embedded mode's transport: a bounded channel from the ledger's publisher to the sink in the same process.
/// Publishing waits until the sink acknowledged every event, so "published" means the same as with a broker:
/// the event will not be lost if the process dies afterwards. Calls hand their events to the channel in the order
/// they were made, so a store's relay may have several out at once. The bound turns a slow sink into back-pressure
/// on the relay (never on the API's answers, which do not wait for publishing).
/// </summary>
public sealed class InProcessEventBus : IDisposable
{
    private readonly Channel<InProcessDelivery> _channel;
    private readonly SemaphoreSlim _handOff = new(1, 1);

    public InProcessEventBus(int capacity = 10_000)
    {
        _channel = Channel.CreateBounded<InProcessDelivery>(new BoundedChannelOptions(capacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = false,
            SingleWriter = false,
        });
    }

    public ChannelReader<InProcessDelivery> Reader => _channel.Reader;

    public void Dispose() => _handOff.Dispose();

    /// <summary>
    /// Completes once the sink acknowledged every event (fails, once all have ended, if it failed any). Only the
    /// deliveries hold the events meanwhile, so an event the sink has taken is not kept alive by the caller's wait.
    /// </summary>
    public Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return Task.CompletedTask;
        var call = new PublishCall(events.Count);
        return WaitAsync(HandOffAsync(events, call, cancellationToken), call.Completion, cancellationToken);
    }

    private async Task HandOffAsync(IReadOnlyList<OutgoingEvent> events, PublishCall call, CancellationToken cancellationToken)
    {
        await _handOff.WaitAsync(cancellationToken);
        try
        {
            foreach (var e in events)
            {
                var delivery = new InProcessDelivery(e, call);
                if (!_channel.Writer.TryWrite(delivery)) await _channel.Writer.WriteAsync(delivery, cancellationToken);
            }
        }
        finally
        {
            _handOff.Release();
        }
    }

    private static async Task WaitAsync(Task handedOff, Task acknowledged, CancellationToken cancellationToken)
    {
        await handedOff;
        await acknowledged.WaitAsync(cancellationToken);
    }

    /// <summary>The deliveries of one call, counted down as they end.</summary>
    internal sealed class PublishCall(int deliveries)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _left = deliveries;
        private Exception? _firstError;

        public Task Completion => _done.Task;

        public void End(Exception? error)
        {
            if (error is not null) Interlocked.CompareExchange(ref _firstError, error, null);
            if (Interlocked.Decrement(ref _left) != 0) return;
            if (Volatile.Read(ref _firstError) is { } failed) _done.TrySetException(failed);
            else _done.TrySetResult();
        }
    }
}
