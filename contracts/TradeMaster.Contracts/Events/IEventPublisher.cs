namespace TradeMaster.Contracts.Events;

/// <summary>A serialized CloudEvent ready to leave the ledger, with the fields transports route on.</summary>
public sealed record OutgoingEvent(string Id, string Type, int StoreId, ReadOnlyMemory<byte> Json)
{
    public string PartitionKey => StoreId.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>
/// The one narrow port the ledger publishes through. Adapters: dapr, pubsub (Google REST), inprocess.
/// Completing without an exception means the transport acknowledged every event; the ledger retries otherwise,
/// so adapters must tolerate duplicates being sent again (consumers dedupe by event id).
/// </summary>
public interface IEventPublisher
{
    string Name { get; }

    Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken);

    /// <summary>
    /// How many publish calls a store's relay may have out at once. One (brokers): the next call waits for the
    /// previous one's acknowledgement, so a retry never reorders a store's events on the topic. More only for a
    /// transport that keeps the calls' order itself and acknowledges each event once durable (the in-process bus):
    /// events then leave the ledger's memory as soon as they are committed instead of waiting for the call before.
    /// </summary>
    int MaxBatchesInFlight => 1;
}
