using System.Diagnostics;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

/// <summary>The embedded mode's adapter: hands events to the in-process sink and waits until it made them durable.</summary>
public sealed class InProcessEventPublisher(InProcessEventBus bus) : IEventPublisher
{
    public string Name => Transports.InProcess;

    /// <summary>
    /// The bus keeps the calls' order and acknowledges each event once durable, so a store hands over every commit's
    /// events as soon as it is committed (bounded by the events the store keeps in memory, not by calls).
    /// </summary>
    public int MaxBatchesInFlight => int.MaxValue;

    public Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return Task.CompletedTask;
        var activity = PublishingTelemetry.StartPublish("inprocess", Messaging.TransactionsTopic, events);
        // Not an async method over the events: its wait would keep every event alive until the sink acknowledges it.
        return WaitAsync(bus.PublishAsync(events, cancellationToken), activity);
    }

    private static async Task WaitAsync(Task published, Activity? activity)
    {
        using (activity)
        {
            try
            {
                await published;
            }
            catch (Exception error)
            {
                PublishingTelemetry.RecordFailure(activity, error);
                throw;
            }
        }
    }
}
