using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

/// <summary>
/// Publishes to a Google Cloud Pub/Sub topic through the REST API (the emulator locally). Each event becomes one
/// binary-mode CloudEvents message whose ordering key is the store, so a subscription with message ordering
/// delivers each store's events in the order the ledger produced them.
/// </summary>
public sealed class PubSubEventPublisher(PubSubRestClient client, IOptions<PublishingOptions> options) : IEventPublisher, IDisposable
{
    private readonly PubSubPublishingOptions _options = options.Value.PubSub;
    private readonly SemaphoreSlim _topicGate = new(1, 1);
    private volatile bool _topicReady;

    public string Name => Transports.PubSub;

    public async Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        if (events.Count == 0) return;
        using var activity = PublishingTelemetry.StartPublish("gcp_pubsub", _options.TopicId, events);
        try
        {
            await EnsureTopicAsync(cancellationToken);
            // Stores are independent ordering keys: send them side by side, each store's requests one after another.
            await Task.WhenAll(EventOrdering.ByPartition(events).Select(stream =>
                client.PublishAsync(_options.TopicId, stream.Select(CloudEventAttributes.ToPubSubBinaryMode).ToList(), cancellationToken)));
        }
        catch (Exception error)
        {
            // A topic that vanished (an emulator restarted empty) is created again on the caller's retry.
            if (error is PubSubRequestException { StatusCode: System.Net.HttpStatusCode.NotFound }) _topicReady = false;
            PublishingTelemetry.RecordFailure(activity, error);
            throw;
        }
    }

    /// <summary>Creates the topic once when <c>Publishing:PubSub:CreateTopic</c> asks for it (dev only).</summary>
    public async Task EnsureTopicAsync(CancellationToken cancellationToken)
    {
        if (!_options.CreateTopic || _topicReady) return;
        await _topicGate.WaitAsync(cancellationToken);
        try
        {
            if (_topicReady) return;
            await client.CreateTopicAsync(_options.TopicId, cancellationToken);
            _topicReady = true;
        }
        finally
        {
            _topicGate.Release();
        }
    }

    public void Dispose() => _topicGate.Dispose();
}
