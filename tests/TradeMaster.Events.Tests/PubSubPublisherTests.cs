using System.Text;
using Microsoft.Extensions.DependencyInjection;
using TradeMaster.Contracts.Events;
using TradeMaster.Publishing;
using TradeMaster.Testing;

namespace TradeMaster.Events.Tests;

/// <summary>The <c>pubsub</c> adapter against the real Pub/Sub emulator.</summary>
public sealed class PubSubPublisherTests : IClassFixture<PubSubEmulator>
{
    private const string ProjectId = "trademaster-test";
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    private readonly PubSubEmulator _emulator;

    public PubSubPublisherTests(PubSubEmulator emulator) => _emulator = emulator;

    [Fact]
    public async Task PublishAsync_TwoStores_ArriveInStoreOrderWithCloudEventAttributesAndValidData()
    {
        var topic = $"transactions-{Guid.NewGuid():N}";
        using var admin = PubSubRestClient.ForEmulator(_emulator.HostPort, ProjectId);
        await using var provider = Publisher(_emulator, topic);
        var publisher = provider.GetRequiredService<IEventPublisher>();
        await ((PubSubEventPublisher)publisher).EnsureTopicAsync(CancellationToken.None);
        await admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"sink-{topic}", topic, EnableMessageOrdering: true), CancellationToken.None);
        var events = TestEvents.ForStores(20, "ordering", 7, 12);

        // As the outbox does: several publishes, each a batch mixing both stores.
        foreach (var chunk in events.Chunk(8)) await publisher.PublishAsync(chunk, CancellationToken.None);

        var received = await PullUntilAsync(admin, $"sink-{topic}", events.Select(e => e.Id).ToHashSet());
        Assert.Equal(events.Count, received.Count);
        foreach (var e in events)
        {
            var m = received.Single(m => m.Attributes!["ce-id"] == e.Id);
            Assert.Equal(e.Type, m.Attributes!["ce-type"]);
            Assert.Equal("1.0", m.Attributes["ce-specversion"]);
            Assert.Equal($"/trademaster/ledger/stores/{e.StoreId}", m.Attributes["ce-source"]);
            Assert.Equal("application/json", m.Attributes["content-type"]);
            Assert.Equal(EventJson.DataSchemaUri(e.Type), m.Attributes["ce-dataschema"]);
            Assert.Equal(e.PartitionKey, m.OrderingKey);
            Assert.Empty(await TestEvents.SchemaErrorsAsync(m.Attributes["ce-type"], Encoding.UTF8.GetString(m.Data!)));
        }
        foreach (var store in new[] { "7", "12" })
        {
            Assert.Equal(
                events.Where(e => e.PartitionKey == store).Select(e => e.Id),
                received.Where(m => m.OrderingKey == store).Select(m => m.Attributes!["ce-id"]));
        }
    }

    [Fact]
    public async Task PublishAsync_MoreThanOneRequestOfMessages_DeliversThemAll()
    {
        var topic = $"transactions-{Guid.NewGuid():N}";
        using var admin = PubSubRestClient.ForEmulator(_emulator.HostPort, ProjectId);
        await using var provider = Publisher(_emulator, topic);
        var publisher = provider.GetRequiredService<IEventPublisher>();
        await admin.CreateTopicAsync(topic, CancellationToken.None);
        await admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"sink-{topic}", topic), CancellationToken.None);
        var events = TestEvents.ForStores(1100, "bulk", 5);

        await publisher.PublishAsync(events, CancellationToken.None);

        var received = await PullUntilAsync(admin, $"sink-{topic}", events.Select(e => e.Id).ToHashSet());
        Assert.Equal(events.Select(e => e.Id), received.Select(m => m.Attributes!["ce-id"]));
    }

    [Fact]
    public async Task CreateSubscriptionAsync_PushWithOrdering_CreatesOnceThenReportsExisting()
    {
        var topic = $"transactions-{Guid.NewGuid():N}";
        using var admin = PubSubRestClient.ForEmulator(_emulator.HostPort, ProjectId);
        Assert.True(await admin.CreateTopicAsync(topic, CancellationToken.None));
        Assert.False(await admin.CreateTopicAsync(topic, CancellationToken.None));
        var spec = new PubSubSubscriptionSpec($"push-{topic}", topic, EnableMessageOrdering: true, PushEndpoint: new Uri("http://127.0.0.1:9/pubsub/push?token=dev"));

        Assert.True(await admin.CreateSubscriptionAsync(spec, CancellationToken.None));
        Assert.False(await admin.CreateSubscriptionAsync(spec, CancellationToken.None));

        await admin.DeleteSubscriptionAsync(spec.SubscriptionId, CancellationToken.None);
        await admin.DeleteTopicAsync(topic, CancellationToken.None);
        Assert.True(await admin.CreateTopicAsync(topic, CancellationToken.None));
    }

    [Fact]
    public async Task PublishAsync_UnknownTopicWithoutCreateTopic_Throws()
    {
        await using var provider = Publisher(_emulator, $"missing-{Guid.NewGuid():N}", createTopic: false);
        var publisher = provider.GetRequiredService<IEventPublisher>();

        var error = await Assert.ThrowsAsync<PubSubRequestException>(() =>
            publisher.PublishAsync([TestEvents.Outgoing(1, 0, "missing")], CancellationToken.None));

        Assert.Equal(System.Net.HttpStatusCode.NotFound, error.StatusCode);
    }

    [Fact]
    public async Task PublishAsync_EmulatorStoppedThenRestarted_FailsWhileDownAndLosesNothing()
    {
        // An emulator of its own: this test stops and restarts it.
        await using var emulator = new PubSubEmulator();
        await emulator.StartAsync();
        var topic = "transactions";
        var subscription = "sink";
        using var admin = PubSubRestClient.ForEmulator(emulator.HostPort, ProjectId);
        await using var provider = Publisher(emulator, topic);
        var publisher = provider.GetRequiredService<IEventPublisher>();
        await admin.CreateTopicAsync(topic, CancellationToken.None);
        await admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec(subscription, topic), CancellationToken.None);
        var before = TestEvents.ForStores(5, "outage-before", 7, 12);
        var during = TestEvents.ForStores(5, "outage-during", 7, 12);

        await publisher.PublishAsync(before, CancellationToken.None);
        var received = (await PullUntilAsync(admin, subscription, before.Select(e => e.Id).ToHashSet())).ToList();

        await emulator.StopAsync();
        Assert.False(emulator.IsRunning);
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => publisher.PublishAsync(during, CancellationToken.None));

        // The emulator keeps no state across restarts: the dev setup creates topic and subscription again.
        await emulator.RestartAsync();
        await admin.CreateTopicAsync(topic, CancellationToken.None);
        await admin.CreateSubscriptionAsync(new PubSubSubscriptionSpec(subscription, topic), CancellationToken.None);
        // The outbox retries what was not acknowledged, here with the tail of the earlier batch sent again
        // (an acknowledgement lost in the outage): duplicates are allowed, losses are not.
        var retry = before.TakeLast(3).Concat(during).ToList();
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await publisher.PublishAsync(retry, CancellationToken.None);
                return true;
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, Deadline, "publishing succeeds after the restart");
        received.AddRange(await PullUntilAsync(admin, subscription, retry.Select(e => e.Id).ToHashSet()));

        var expected = before.Concat(during).Select(e => e.Id).Order().ToList();
        Assert.Equal(expected, received.Select(m => m.Attributes!["ce-id"]).Distinct().Order());
        Assert.True(received.Count > expected.Count, "the re-sent events arrived twice, and deduplication by id removed them");
    }

    private static ServiceProvider Publisher(PubSubEmulator emulator, string topic, bool createTopic = true) =>
        new ServiceCollection()
            .AddTradeMasterPublishing(PublishingRegistrationTests.Config(
                ("Publishing:Transport", "pubsub"),
                ("Publishing:PubSub:ProjectId", ProjectId),
                ("Publishing:PubSub:TopicId", topic),
                ("Publishing:PubSub:CreateTopic", createTopic ? "true" : "false"),
                ("PUBSUB_EMULATOR_HOST", emulator.HostPort)))
            .BuildServiceProvider();

    /// <summary>Pulls and acknowledges until every expected event id arrived; returns messages in arrival order.</summary>
    private static async Task<List<PubSubMessage>> PullUntilAsync(PubSubRestClient admin, string subscription, HashSet<string> expectedIds)
    {
        var received = new List<PubSubMessage>();
        var seen = new HashSet<string>();
        await Poll.UntilAsync(async () =>
        {
            var batch = await admin.PullAsync(subscription, 1000, CancellationToken.None);
            foreach (var r in batch)
            {
                if (seen.Add(r.Message.Attributes!["ce-id"])) received.Add(r.Message);
            }
            await admin.AcknowledgeAsync(subscription, batch.Select(r => r.AckId).ToList(), CancellationToken.None);
            return expectedIds.IsSubsetOf(seen);
        }, Deadline, $"{expectedIds.Count} events arrived on {subscription}");
        return received;
    }
}
