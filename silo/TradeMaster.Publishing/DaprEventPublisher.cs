using Dapr.Client;
using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

/// <summary>
/// Publishes through the Dapr sidecar, whichever broker its <c>trademaster-pubsub</c> component points at
/// (Kafka, Google Pub/Sub…). The event is already a complete CloudEvent, so it goes out with the CloudEvents
/// media type: Dapr then forwards our envelope (id, type, source, dataschema, traceparent) instead of wrapping
/// it in one of its own, and subscribers route on our <c>type</c>.
/// </summary>
public sealed class DaprEventPublisher(DaprClient dapr, IOptions<PublishingOptions> options) : IEventPublisher
{
    /// <summary>Per-message key of Dapr's GCP Pub/Sub component; Kafka's is <see cref="Messaging.PartitionKeyMetadata"/>.</summary>
    public const string OrderingKeyMetadata = "orderingKey";

    private readonly DaprPublishingOptions _options = options.Value.Dapr;

    public string Name => Transports.Dapr;

    public async Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return;
        using var activity = PublishingTelemetry.StartPublish("dapr", _options.Topic, events);
        try
        {
            await Task.WhenAll(EventOrdering.ByPartition(events).Select(stream => PublishInOrderAsync(stream, cancellationToken)));
        }
        catch (Exception error)
        {
            PublishingTelemetry.RecordFailure(activity, error);
            throw;
        }
    }

    private async Task PublishInOrderAsync(IReadOnlyList<OutgoingEvent> stream, CancellationToken cancellationToken)
    {
        foreach (var e in stream)
        {
            // The store id keys the message: Kafka keeps one store's events in one partition, in order, and the
            // Pub/Sub component uses it as the ordering key. Setting both lets the component be swapped by YAML alone.
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [Messaging.PartitionKeyMetadata] = e.PartitionKey,
                [OrderingKeyMetadata] = e.PartitionKey,
            };
            await dapr.PublishByteEventAsync(_options.PubSubName, _options.Topic, e.Json, CloudEventAttributes.StructuredContentType, metadata, cancellationToken);
        }
    }
}
