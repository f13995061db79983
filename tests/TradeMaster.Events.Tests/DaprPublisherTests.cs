using Dapr;
using Dapr.Client;
using Grpc.Core;
using Microsoft.Extensions.DependencyInjection;
using TradeMaster.Contracts.Events;
using TradeMaster.Publishing;
using TradeMaster.Testing;

namespace TradeMaster.Events.Tests;

public sealed class DaprPublisherTests : IAsyncLifetime
{
    private TestDaprSidecar _sidecar = null!;
    private ServiceProvider _provider = null!;

    public async Task InitializeAsync()
    {
        _sidecar = await TestDaprSidecar.StartAsync();
        var services = new ServiceCollection()
            .AddSingleton(new DaprClientBuilder().UseGrpcEndpoint(_sidecar.GrpcEndpoint).Build())
            .AddTradeMasterPublishing(PublishingRegistrationTests.Config(("Publishing:Transport", "dapr")));
        _provider = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _provider.DisposeAsync();
        await _sidecar.DisposeAsync();
    }

    [Fact]
    public async Task PublishAsync_RealDaprSdk_SendsTheCloudEventUnwrappedToTransactionsTopicKeyedByStore()
    {
        var publisher = _provider.GetRequiredService<IEventPublisher>();
        var events = TestEvents.ForStores(4, "dapr", 7, 12);

        await publisher.PublishAsync(events, CancellationToken.None);

        var received = _sidecar.State.Accepted.ToList();
        Assert.Equal(events.Count, received.Count);
        foreach (var r in received)
        {
            Assert.Equal("trademaster-pubsub", r.PubsubName);
            Assert.Equal("transactions", r.Topic);
            Assert.Equal("application/cloudevents+json", r.DataContentType);
        }
        foreach (var e in events)
        {
            // Byte for byte the envelope the ledger wrote: Dapr forwards it instead of wrapping it.
            var r = Assert.Single(received, r => r.Data.AsSpan().SequenceEqual(e.Json.Span));
            Assert.Equal(e.PartitionKey, r.Metadata["partitionKey"]);
            Assert.Equal(e.PartitionKey, r.Metadata["orderingKey"]);
            var envelope = TestEvents.Envelope(new OutgoingEvent(e.Id, e.Type, e.StoreId, r.Data));
            Assert.Equal(e.Type, envelope.GetProperty("type").GetString());
            Assert.Equal(e.Id, envelope.GetProperty("id").GetString());
            Assert.Empty(await TestEvents.SchemaErrorsAsync(e.Type, envelope.GetProperty("data").GetRawText()));
        }
        foreach (var store in new[] { "7", "12" })
        {
            Assert.Equal(
                events.Where(e => e.PartitionKey == store).Select(e => e.Id),
                received.Where(r => r.Metadata["partitionKey"] == store).Select(r => TestEvents.Envelope(new OutgoingEvent("", "", 0, r.Data)).GetProperty("id").GetString()));
        }
    }

    [Fact]
    public async Task PublishAsync_SingleEvent_SpanContinuesTheTraceOfItsTraceparent()
    {
        var publisher = _provider.GetRequiredService<IEventPublisher>();
        var e = TestEvents.Outgoing(9, 0, "trace");
        var traceParent = TestEvents.Envelope(e).GetProperty("traceparent").GetString()!;
        var spans = new System.Collections.Concurrent.ConcurrentQueue<System.Diagnostics.Activity>();
        using var listener = new System.Diagnostics.ActivityListener
        {
            ShouldListenTo = source => source.Name == PublishingTelemetry.ActivitySourceName,
            Sample = (ref System.Diagnostics.ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => System.Diagnostics.ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        System.Diagnostics.ActivitySource.AddActivityListener(listener);

        await publisher.PublishAsync([e], CancellationToken.None);

        var span = Assert.Single(spans, a => (string?)a.GetTagItem("messaging.message.id") == e.Id);
        Assert.Equal(System.Diagnostics.ActivityKind.Producer, span.Kind);
        Assert.Equal("publish transactions", span.DisplayName);
        Assert.Equal(traceParent.Split('-')[1], span.TraceId.ToHexString());
        Assert.Equal(traceParent.Split('-')[2], span.ParentSpanId.ToHexString());
    }

    [Fact]
    public async Task PublishAsync_SidecarUnavailableThenBack_FailsThenDeliversEverythingOnce()
    {
        var publisher = _provider.GetRequiredService<IEventPublisher>();
        var events = TestEvents.ForStores(3, "dapr-outage", 7, 12);
        _sidecar.State.FailWith = StatusCode.Unavailable;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => publisher.PublishAsync(events, CancellationToken.None));
        Assert.True(error is DaprException or RpcException, error.ToString());
        Assert.True(_sidecar.State.Refused > 0);
        Assert.Empty(_sidecar.State.Accepted);

        // The outbox retries the same events until the transport acknowledges.
        _sidecar.State.FailWith = null;
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await publisher.PublishAsync(events, CancellationToken.None);
                return true;
            }
            catch (DaprException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(30), "publishing succeeds once the sidecar is back");

        var ids = _sidecar.State.Accepted.Select(r => TestEvents.Envelope(new OutgoingEvent("", "", 0, r.Data)).GetProperty("id").GetString()).ToList();
        Assert.Equal(events.Select(e => e.Id).Order(), ids.Distinct().Order());
    }
}
