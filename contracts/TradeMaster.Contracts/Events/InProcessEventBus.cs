using System.Threading.Channels;

namespace TradeMaster.Contracts.Events;

/// <summary>One event handed to the in-process sink; the sink completes <see cref="Acknowledge"/> once it is durable.</summary>
public sealed class InProcessDelivery(OutgoingEvent @event)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public OutgoingEvent Event { get; } = @event;

    public Task Completion => _done.Task;

    /// <summary>The event is in the lake or in the rejected set: the publisher may forget it.</summary>
    public void Acknowledge() => _done.TrySetResult();

    /// <summary>The sink could not make it durable; the publisher keeps it and retries.</summary>
    public void Fail(Exception error) => _done.TrySetException(error);
}

/// <summary>
/// The embedded mode's transport: a bounded channel from the ledger's publisher to the sink in the same process.
/// Publishing waits until the sink acknowledged every event, so "published" means the same as with a broker:
/// the event will not be lost if the process dies afterwards. The bound turns a slow sink into back-pressure on
/// the outbox (never on the API's answers, which do not wait for publishing).
/// </summary>
public sealed class InProcessEventBus
{
    private readonly Channel<InProcessDelivery> _channel;

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

    public async Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        var deliveries = new Task[events.Count];
        for (var i = 0; i < events.Count; i++)
        {
            var delivery = new InProcessDelivery(events[i]);
            await _channel.Writer.WriteAsync(delivery, cancellationToken);
            deliveries[i] = delivery.Completion;
        }
        await Task.WhenAll(deliveries).WaitAsync(cancellationToken);
    }
}
