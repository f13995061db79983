using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using TradeMaster.Contracts.Events;
using TradeMaster.Sink.Batching;
using TradeMaster.Sink.Lake;
using TradeMaster.Testing;

namespace TradeMaster.Sink.Tests;

public sealed class BatchingTests
{
    private static (LakeBatcher Batcher, string Lake) NewBatcher(TimeProvider time, int maxEvents, TimeSpan maxAge, int idleMinEvents = 500)
    {
        var lake = LakeFiles.NewLake();
        var options = Options.Create(new SinkOptions
        {
            Batch = new BatchOptions { MaxEvents = maxEvents, MaxAge = maxAge, MaxIdle = TimeSpan.FromMilliseconds(20), IdleMinEvents = idleMinEvents },
        });
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        // Rejections never touch the dedupe table, so no database is needed to test batching itself.
        var claims = new EventClaims(NpgsqlDataSource.Create("Host=127.0.0.1;Port=1;Database=unused"));
        var batcher = new LakeBatcher(new LocalLakeWriter(lake), claims, options, time,
            new SinkMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger<LakeBatcher>.Instance);
        return (batcher, lake);
    }

    private static PendingMessage Rejection(int n) => new(null, "rejected/dt=2025-03-01", System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{n}}}\n"));

    [Fact]
    public async Task Submit_BatchReachesMaxEvents_IsWrittenAsOneObjectWithoutWaitingForAge()
    {
        var clock = new FakeTimeProvider(SampleEvents.OccurredAt);
        var (batcher, lake) = NewBatcher(clock, maxEvents: 3, maxAge: TimeSpan.FromHours(1));
        await batcher.StartAsync(CancellationToken.None);
        var outcomes = await Task.WhenAll(Enumerable.Range(1, 3).Select(i => batcher.SubmitAsync(Rejection(i), CancellationToken.None)))
            .WaitAsync(TimeSpan.FromSeconds(20));
        Assert.All(outcomes, o => Assert.Equal(SinkOutcome.Rejected, o));
        var file = Assert.Single(Directory.GetFiles(Path.Combine(lake, "rejected", "dt=2025-03-01"), "*.ndjson"));
        Assert.Equal(3, File.ReadAllLines(file).Length);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Submit_BatchBelowMaxEvents_IsWrittenOnlyOnceMaxAgeHasPassed()
    {
        var clock = new FakeTimeProvider(SampleEvents.OccurredAt);
        var (batcher, lake) = NewBatcher(clock, maxEvents: 100, maxAge: TimeSpan.FromSeconds(2));
        await batcher.StartAsync(CancellationToken.None);
        var pending = new[] { batcher.SubmitAsync(Rejection(1), CancellationToken.None), batcher.SubmitAsync(Rejection(2), CancellationToken.None) };
        await Task.Yield();
        Assert.DoesNotContain(pending, p => p.IsCompleted);
        Assert.False(Directory.Exists(Path.Combine(lake, "rejected")));

        // Time moves only when the test says so; the batch closes once its age is reached.
        await Poll.UntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(500));
            return pending.All(p => p.IsCompleted);
        }, TimeSpan.FromSeconds(20), "the batch closed by age");
        Assert.True(clock.GetUtcNow() - SampleEvents.OccurredAt >= TimeSpan.FromSeconds(2));
        var file = Assert.Single(Directory.GetFiles(Path.Combine(lake, "rejected", "dt=2025-03-01"), "*.ndjson"));
        Assert.Equal(2, File.ReadAllLines(file).Length);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Submit_BatchOfIdleMinEventsStopsGrowing_IsWrittenAfterMaxIdleWithoutWaitingForAge()
    {
        var clock = new FakeTimeProvider(SampleEvents.OccurredAt);
        var (batcher, lake) = NewBatcher(clock, maxEvents: 100, maxAge: TimeSpan.FromHours(1), idleMinEvents: 3);
        await batcher.StartAsync(CancellationToken.None);
        var pending = Enumerable.Range(1, 3).Select(i => batcher.SubmitAsync(Rejection(i), CancellationToken.None)).ToArray();

        // Every sender is waiting for this batch: once 20 ms pass without a new message, it is written.
        await Poll.UntilAsync(() =>
        {
            clock.Advance(TimeSpan.FromMilliseconds(10));
            return pending.All(p => p.IsCompleted);
        }, TimeSpan.FromSeconds(20), "the idle batch closed");

        Assert.True(clock.GetUtcNow() - SampleEvents.OccurredAt < TimeSpan.FromSeconds(1));
        var file = Assert.Single(Directory.GetFiles(Path.Combine(lake, "rejected", "dt=2025-03-01"), "*.ndjson"));
        Assert.Equal(3, File.ReadAllLines(file).Length);
        await batcher.StopAsync(CancellationToken.None);
    }

    [Fact]
    public async Task Submit_SameEventWhileItsBatchIsStillWriting_FollowsThatDeliveryAndIsWrittenOnce()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_in_flight");
        var lake = LakeFiles.NewLake();
        var writer = new GatedLakeWriter(new LocalLakeWriter(lake));
        // One message per batch, so the two deliveries are two batches in flight at once.
        var options = Options.Create(new SinkOptions { InstanceId = "in-flight-test", Batch = new BatchOptions { MaxEvents = 1, MaxAge = TimeSpan.FromHours(1) } });
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var batcher = new LakeBatcher(writer, new EventClaims(NpgsqlDataSource.Create(db)), options, TimeProvider.System,
            new SinkMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger<LakeBatcher>.Instance);
        await batcher.StartAsync(CancellationToken.None);
        var id = Guid.NewGuid();
        PendingMessage Delivery() => new(id, "transactions/event_type=test/dt=2025-03-01", System.Text.Encoding.UTF8.GetBytes($"{{\"event_id\":\"{id}\"}}\n"));

        var first = batcher.SubmitAsync(Delivery(), CancellationToken.None);
        await writer.FirstWriteStarted.WaitAsync(TimeSpan.FromSeconds(30));
        var second = batcher.SubmitAsync(Delivery(), CancellationToken.None);
        await Poll.UntilAsync(() => batcher.BatchesStarted == 2, TimeSpan.FromSeconds(30), "the second batch was formed");
        writer.Open();

        var outcomes = await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal([SinkOutcome.Accepted, SinkOutcome.Duplicate], outcomes);
        Assert.Equal(1, writer.Writes);
        Assert.Equal(1, LakeFiles.CountEvent(lake, id.ToString()));
        await batcher.StopAsync(CancellationToken.None);
    }

    /// <summary>Holds every write until <see cref="Open"/>: a batch that is still writing when the next one forms.</summary>
    private sealed class GatedLakeWriter(ILakeWriter inner) : ILakeWriter
    {
        private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _writes;

        public string Name => inner.Name;

        public int Writes => Volatile.Read(ref _writes);

        public Task FirstWriteStarted => _started.Task;

        public void Open() => _open.TrySetResult();

        public async Task WriteAsync(string objectName, IReadOnlyList<ReadOnlyMemory<byte>> content, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _writes);
            _started.TrySetResult();
            await _open.Task;
            await inner.WriteAsync(objectName, content, cancellationToken);
        }

        public Task<bool> ExistsAsync(string objectName, CancellationToken cancellationToken) => inner.ExistsAsync(objectName, cancellationToken);
    }

    [Fact]
    public async Task InProcessBus_PublishedEvents_AreAcknowledgedOnceDurable()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_inprocess");
        var lake = LakeFiles.NewLake();
        var bus = new InProcessEventBus();
        var good = SampleEvents.Refused();
        var bad = SampleEvents.Sale();
        bad["data"]!["total"] = 1m;
        await using var sink = await SinkHost.StartAsync(db, lake, configure: s => s.AddSingleton(bus));

        await bus.PublishAsync(
            [new OutgoingEvent(good.Id(), EventTypes.TransactionRefused, 7, good.Bytes()), new OutgoingEvent(bad.Id(), EventTypes.SaleCompleted, 7, bad.Bytes())],
            CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30));

        // PublishAsync returned: both deliveries were acknowledged, so both are already durable.
        var row = Assert.Single(LakeFiles.Transactions(lake), r => r.GetProperty("event_id").GetString() == good.Id());
        Assert.Equal("inprocess", row.GetProperty("source_transport").GetString());
        Assert.Equal("refused", row.GetProperty("outcome").GetString());
        var rejection = Assert.Single(LakeFiles.Rejected(lake));
        Assert.Equal(bad.Id(), rejection.GetProperty("eventId").GetString());
        Assert.Contains("total_mismatch", LakeFiles.Codes(rejection));
    }

    [Fact]
    public async Task InProcessBus_WriteFails_DeliveryFailsSoThePublisherKeepsTheEvent()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_inprocess_fail");
        var lake = LakeFiles.NewLake();
        var bus = new InProcessEventBus();
        var e = SampleEvents.Sale();
        await using var sink = await SinkHost.StartAsync(db, lake, configure: s =>
        {
            s.AddSingleton(bus);
            s.AddSingleton<ILakeWriter>(new FaultyLakeWriter(new LocalLakeWriter(lake), failAfterWrite: false));
        });
        await Assert.ThrowsAsync<IOException>(() =>
            bus.PublishAsync([new OutgoingEvent(e.Id(), EventTypes.SaleCompleted, 7, e.Bytes())], CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Empty(LakeFiles.Transactions(lake));
    }
}
