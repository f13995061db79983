using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

/// <summary>The embedded mode's adapter: hands events to the in-process sink and waits until it made them durable.</summary>
public sealed class InProcessEventPublisher(InProcessEventBus bus) : IEventPublisher
{
    public string Name => Transports.InProcess;

    public async Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return;
        using var activity = PublishingTelemetry.StartPublish("inprocess", Messaging.TransactionsTopic, events);
        try
        {
            await bus.PublishAsync(events, cancellationToken);
        }
        catch (Exception error)
        {
            PublishingTelemetry.RecordFailure(activity, error);
            throw;
        }
    }
}
