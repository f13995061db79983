using System.Runtime.CompilerServices;
using Npgsql;
using TradeMaster.Testing;
using Xunit.Abstractions;

namespace TradeMaster.Distributed.Tests;

/// <summary>
/// Two silos and a gateway, each its own process, form one Orleans cluster through the PostgreSQL membership
/// table. The silo holding every store ledger is killed in the middle of the traffic.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class ClusterFailoverTests(PubSubEmulator emulator, ITestOutputHelper output)
{
    private const int Transactions = 240;
    private const int SiloActive = 3;
    private const int SiloDead = 6;

    [Fact]
    public async Task KillSilo_MidLoadWithClientRetries_EveryAcceptedTransactionRecordedOnceAndStockAddsUp()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("failover");
        await using var services = new DistributedServices(connectionString, output);
        DistributedCollection.UsePubSub(services, emulator, $"failover-{Guid.NewGuid():N}", createTopic: true);
        try
        {
            var doomed = await services.StartSiloAsync("silo-a");
            var gateway = await services.StartGatewayAsync();
            var plan = await StoreTraffic.PlanAsync(connectionString, Transactions, seed: 11);
            var stores = plan.Select(p => p.StoreId).Distinct().Order().ToList();
            // Alone in the cluster, silo A activates every store ledger: killing it later takes them all down.
            foreach (var store in stores) await StoreTraffic.GetJsonAsync(gateway.Http, store, $"/api/v1/stores/{store}/stock/1");
            var survivor = await services.StartSiloAsync("silo-b");
            await Poll.UntilAsync(async () => (await MembersAsync(services)).Count(m => m.Status == SiloActive) == 2,
                TimeSpan.FromSeconds(60), "both silos are active members of the cluster in PostgreSQL");
            var seedStock = await StockAsync(connectionString);

            var completed = new StrongBox<int>();
            var run = StoreTraffic.RunAsync(gateway.Http, plan, concurrency: 8, completed, perTransactionDeadline: TimeSpan.FromSeconds(120));
            await Poll.UntilAsync(() => Volatile.Read(ref completed.Value) >= Transactions / 3 || run.IsCompleted,
                TimeSpan.FromSeconds(60), "a third of the transactions are answered");
            Assert.False(run.IsCompleted, "the silo must die while transactions are still in flight");
            await doomed.Process.KillAsync();
            var results = await run;

            output.WriteLine($"{results.Count(r => r.Accepted)} accepted, {results.Count(r => r.Status == 422)} refused, " +
                $"{results.Count(r => r.Attempts > 1)} needed retries (max {results.Max(r => r.Attempts)} attempts)");
            var unanswered = results.Where(r => r.Status is not (201 or 422)).ToList();
            Assert.True(unanswered.Count == 0, "Every transaction gets a ledger answer; these did not: " +
                string.Join("; ", unanswered.Take(5).Select(r => $"{r.Planned.TransactionId} {r.Status} {r.Code} {r.LastFailure}")));
            Assert.Contains(results, r => r.Code == "insufficient_stock");
            Assert.Contains(results, r => r.Code == "employee_not_at_store");
            Assert.Contains(results, r => r.Accepted && r.Planned.Kind == "sale");
            Assert.Contains(results, r => r.Accepted && r.Planned.Kind == "rental");

            // The outbox writes the history after answering: wait until every answered transaction is there.
            var ids = plan.Select(p => p.TransactionId).ToArray();
            Dictionary<Guid, (string Status, Guid EventId)> ledger = [];
            await Poll.UntilAsync(async () => (ledger = await LedgerAsync(connectionString)).Count >= ids.Length,
                TimeSpan.FromSeconds(60), "every transaction is in ledger_transactions");
            Assert.Equal(ids.Order(), ledger.Keys.Order());
            Assert.All(results, r =>
            {
                var row = ledger[r.Planned.TransactionId];
                Assert.Equal(r.Accepted ? "accepted" : "refused", row.Status);
                Assert.Equal(r.EventId, row.EventId);
            });

            // Orleans declared the killed silo dead; the survivor is the cluster and serves every store.
            await Poll.UntilAsync(async () => (await MembersAsync(services)).Any(m => m.Port == doomed.SiloPort && m.Status == SiloDead),
                TimeSpan.FromSeconds(90), "the killed silo is declared dead in the membership table");
            var members = await MembersAsync(services);
            Assert.Equal([survivor.SiloPort], members.Where(m => m.Status == SiloActive).Select(m => m.Port));

            var sold = results.Where(r => r.Accepted && r.Planned.Kind == "sale").SelectMany(r => r.Planned.Lines.Select(l => (r.Planned.StoreId, l)))
                .GroupBy(x => (x.StoreId, x.l.ItemId), x => x.l.Quantity).ToDictionary(g => g.Key, g => g.Sum());
            var rented = results.Where(r => r.Accepted && r.Planned.Kind == "rental").SelectMany(r => r.Planned.Lines.Select(l => (r.Planned.StoreId, l)))
                .GroupBy(x => (x.StoreId, x.l.ItemId), x => x.l.Quantity).ToDictionary(g => g.Key, g => g.Sum());
            foreach (var key in sold.Keys.Union(rented.Keys))
            {
                var (store, item) = key;
                var live = await StoreTraffic.GetJsonAsync(gateway.Http, store, $"/api/v1/stores/{store}/stock/{item}");
                var seed = seedStock[key];
                Assert.Equal(seed.ForSale - sold.GetValueOrDefault(key), live.GetProperty("copiesForSale").GetInt32());
                Assert.Equal(seed.RentalOut + rented.GetValueOrDefault(key), live.GetProperty("rentalCopiesOut").GetInt32());
            }
            Assert.Equal(stores, sold.Keys.Select(k => k.StoreId).Distinct().Order());
        }
        catch (Exception) when (services.PrintOutput())
        {
            throw;
        }
    }

    private static async Task<Dictionary<(int Store, int Item), (int ForSale, int RentalOut)>> StockAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("select store_id, item_id, copies_for_sale, rental_copies_out from stock");
        await using var reader = await command.ExecuteReaderAsync();
        var stock = new Dictionary<(int, int), (int, int)>();
        while (await reader.ReadAsync()) stock[(reader.GetInt32(0), reader.GetInt32(1))] = (reader.GetInt32(2), reader.GetInt32(3));
        return stock;
    }

    private static async Task<Dictionary<Guid, (string Status, Guid EventId)>> LedgerAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("select transaction_id, status, event_id from ledger_transactions");
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new Dictionary<Guid, (string, Guid)>();
        while (await reader.ReadAsync()) rows.Add(reader.GetGuid(0), (reader.GetString(1), reader.GetGuid(2)));
        return rows;
    }

    private static async Task<List<(int Port, int Status)>> MembersAsync(DistributedServices services)
    {
        await using var dataSource = NpgsqlDataSource.Create(services.ConnectionString);
        await using var command = dataSource.CreateCommand("select port, status from orleansmembershiptable where deploymentid = $1");
        command.Parameters.AddWithValue(services.ClusterId);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<(int, int)>();
        while (await reader.ReadAsync()) rows.Add((reader.GetInt32(0), reader.GetInt32(1)));
        return rows;
    }
}
