using System.Collections.Concurrent;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Testing;

namespace TradeMaster.Silo.Tests;

/// <summary>
/// A store's relay over a transport that takes several publish calls at once (the in-process bus): each commit's
/// events are handed over without waiting for the call before, the relay position only ever covers an
/// acknowledged prefix of the journal, and a failed call sends everything after that prefix again.
/// </summary>
public sealed class RelayTests
{
    private const int Store = 2;

    [Fact]
    public async Task Relay_TransportTakesSeveralCalls_HandsOverEachCommitAndMovesThePositionOnlyOverAnAcknowledgedPrefix()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("relay_pipelined");
        var publisher = new HeldPublisher();
        await using var host = await LedgerHost.StartWithPublisherAsync(connectionString, publisher,
            new Dictionary<string, string?> { ["Ledger:OutboxMaxBackoff"] = "00:00:00.500" });
        var clerk = await host.ScalarAsync<int>($"select min(employee_id) from employees where store_id = {Store} and active and role = 'clerk'");
        var item = await host.ScalarAsync<int>($"select s.item_id from stock s join catalog_items i using (item_id) where store_id = {Store} and copies_for_sale > 0 and i.sellable and i.active order by 1 limit 1");
        var store = host.Grains.GetGrain<IStoreGrain>(Store);

        async Task<string> SellAsync()
        {
            var outcome = await store.SellAsync(LedgerFixture.Sale(clerk, item));
            var eventId = outcome.EventId!.Value.ToString();
            await Poll.UntilAsync(() => publisher.CallWith(eventId) is not null, TimeSpan.FromSeconds(10), $"event {eventId} is handed over");
            return eventId;
        }

        Task<long> SequenceOf(string eventId) => host.ScalarAsync<long>("select store_seq from ledger_transactions where event_id = $1::uuid", eventId);
        Task<long> PositionAsync() => host.ScalarAsync<long>($"select coalesce(max(published_seq), 0) from relay_positions where store_id = {Store}");

        // The second commit is handed over while the first call still waits for its acknowledgement.
        var a = await SellAsync();
        var b = await SellAsync();
        var (callA, callB) = (publisher.CallWith(a)!, publisher.CallWith(b)!);
        Assert.NotSame(callA, callB);
        Assert.False(callA.Acknowledged.IsCompleted);

        // Acknowledged out of order: the position waits for the earlier call. The relay handed over a third commit
        // after the second call was acknowledged, so it has seen that acknowledgement.
        callB.End(null);
        var c = await SellAsync();
        Assert.Equal(0, await PositionAsync());
        Assert.Equal(3, await store.GetPendingEventCountAsync());

        callA.End(null);
        var throughB = await SequenceOf(b);
        await Poll.UntilAsync(async () => await PositionAsync() == throughB, TimeSpan.FromSeconds(10), "the position covers a and b");
        publisher.CallWith(c)!.End(null);
        var throughC = await SequenceOf(c);
        await Poll.UntilAsync(async () => await PositionAsync() == throughC, TimeSpan.FromSeconds(10), "the position covers c");

        // A failed call, and a later one acknowledged: both events are read back from the journal and sent again.
        var d = await SellAsync();
        var e = await SellAsync();
        var (callD, callE) = (publisher.CallWith(d)!, publisher.CallWith(e)!);
        callE.End(null);
        callD.End(new HttpRequestException("transport down (test)"));
        await Poll.UntilAsync(() => publisher.Calls.Any(call => call.Number > callE.Number && call.Holds(d)), TimeSpan.FromSeconds(10), "d is sent again");
        var retry = publisher.Calls.Single(call => call.Number > callE.Number && call.Holds(d));
        Assert.Equal([d, e], retry.Events.Select(x => x.Id));
        Assert.Equal(throughC, await PositionAsync());
        retry.End(null);
        var throughE = await SequenceOf(e);
        await Poll.UntilAsync(async () => await PositionAsync() == throughE, TimeSpan.FromSeconds(10), "the position covers d and e");
        Assert.Equal(0, await store.GetPendingEventCountAsync());

        // Every event was handed over first in journal order.
        var firstHandedOver = new List<string>();
        foreach (var call in publisher.Calls.OrderBy(call => call.Number))
        {
            foreach (var x in call.Events) if (!firstHandedOver.Contains(x.Id)) firstHandedOver.Add(x.Id);
        }
        Assert.Equal([a, b, c, d, e], firstHandedOver);
    }

    /// <summary>A transport that takes any number of calls at once and acknowledges each when the test says so.</summary>
    private sealed class HeldPublisher : IEventPublisher
    {
        private int _calls;

        public string Name => "held";

        public int MaxBatchesInFlight => int.MaxValue;

        public ConcurrentQueue<Call> Calls { get; } = new();

        public Call? CallWith(string eventId) => Calls.FirstOrDefault(call => call.Holds(eventId));

        public Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
        {
            var call = new Call(Interlocked.Increment(ref _calls), [.. events]);
            Calls.Enqueue(call);
            return call.Acknowledged;
        }

        public sealed class Call(int number, IReadOnlyList<OutgoingEvent> events)
        {
            private readonly TaskCompletionSource _acknowledged = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public int Number { get; } = number;

            public IReadOnlyList<OutgoingEvent> Events { get; } = events;

            public Task Acknowledged => _acknowledged.Task;

            public bool Holds(string eventId) => Events.Any(e => e.Id == eventId);

            public void End(Exception? error)
            {
                if (error is null) _acknowledged.SetResult();
                else _acknowledged.SetException(error);
            }
        }
    }
}
