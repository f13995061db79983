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
}
