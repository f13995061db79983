using System.Text.Json;
using Npgsql;
using TradeMaster.Publishing;
using TradeMaster.Simulation;
using TradeMaster.Testing;
using Xunit.Abstractions;

namespace TradeMaster.Distributed.Tests;

/// <summary>
/// Silo, gateway and sink as separate processes wired through the <c>pubsub</c> transport on the real Pub/Sub
/// emulator, with a push subscription to the sink's push endpoint: the simulator's traffic ends in the lake exactly once.
/// </summary>
[Collection(DistributedCollection.Name)]
public sealed class PubSubLakeTests(PubSubEmulator emulator, ITestOutputHelper output)
{
    private const int Transactions = 200;

    [Fact]
    public async Task PushSubscription_SimulatorTraffic_EveryLedgerEventInTheLakeExactlyOnce()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("lake");
        var lake = Directory.CreateTempSubdirectory("trademaster-lake-").FullName;
        var topic = $"transactions-{Guid.NewGuid():N}";
        var pushToken = Guid.NewGuid().ToString("N");
        await using var services = new DistributedServices(connectionString, output);
        DistributedCollection.UsePubSub(services, emulator, topic, createTopic: false);
        using var pubsub = PubSubRestClient.ForEmulator(emulator.HostPort, DistributedCollection.ProjectId);
        try
        {
            var sink = await services.StartSinkAsync(lake, pushToken);
            await pubsub.CreateTopicAsync(topic, CancellationToken.None);
            await pubsub.CreateSubscriptionAsync(new PubSubSubscriptionSpec($"sink-push-{topic}", topic, EnableMessageOrdering: true,
                PushEndpoint: new Uri(sink.Http, $"/sink/pubsub/push?token={pushToken}")), CancellationToken.None);
            await services.StartSiloAsync("silo");
            var gateway = await services.StartGatewayAsync();

            var summary = await Simulator.RunAsync(new SimulatorOptions
            {
                GatewayUrl = gateway.Http,
                SinkUrl = sink.Http, // the malformed CloudEvents go straight to the sink's Dapr route
                Transactions = Transactions,
                Concurrency = 8,
                ShowProgress = false,
            });
            output.WriteLine(summary.ToJson());
            Assert.Equal(0, summary.TotalErrors);
            Assert.Equal(0, summary.TotalUnexpected);
            Assert.True(summary.TotalAccepted > 0 && summary.TotalRefused > 0 && summary.MalformedEvents > 0, summary.ToJson());

            // What the ledger recorded (accepted and refused; its outbox writes the history, then publishes) is
            // what the lake must hold: wait until every accepted transaction is recorded and every recorded one landed.
            Dictionary<Guid, string> recorded = [];
            List<Guid> written = [];
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    recorded = await LedgerEventsAsync(connectionString);
                    written = LakeEventIds(lake);
                    return recorded.Count(r => r.Value == "accepted") >= summary.TotalAccepted && recorded.Keys.All(written.Contains);
                }, TimeSpan.FromSeconds(90), $"the {summary.TotalAccepted} accepted transactions are recorded and every recorded event is in the lake");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message} Recorded {recorded.Count}, in the lake {written.Distinct().Count()}. Rejected:\n" +
                    string.Join("\n", RejectedRows(lake).Take(3).Select(r => r.GetRawText())), e);
            }
            Assert.Equal(summary.TotalAccepted, recorded.Count(r => r.Value == "accepted"));
            Assert.InRange(recorded.Count(r => r.Value == "refused"), 1, summary.TotalRefused);
            var answered = recorded.Keys;
            Assert.Equal(answered.Order(), written.Order()); // each exactly once, nothing else
            // The only rejections are the simulator's malformed CloudEvents, posted to the Dapr route: nothing that
            // came through Pub/Sub was refused by the sink.
            var rejected = RejectedRows(lake);
            Assert.Equal(summary.MalformedEvents, rejected.Count);
            Assert.All(rejected, r => Assert.Equal("dapr", r.GetProperty("source").GetProperty("transport").GetString()));
            Assert.Contains(Directory.EnumerateDirectories(Path.Combine(lake, "transactions")),
                d => Path.GetFileName(d) == "event_type=com.trademaster.transaction.refused.v1");
        }
        catch (Exception) when (services.PrintOutput())
        {
            throw;
        }
        finally
        {
            await pubsub.DeleteSubscriptionAsync($"sink-push-{topic}", CancellationToken.None);
            Directory.Delete(lake, recursive: true);
        }
    }

    /// <summary>Every event id in the lake's transaction files, one entry per row (a duplicate shows twice).</summary>
    private static List<Guid> LakeEventIds(string lake)
    {
        var root = Path.Combine(lake, "transactions");
        if (!Directory.Exists(root)) return [];
        var ids = new List<Guid>();
        foreach (var file in Directory.EnumerateFiles(root, "*.ndjson", SearchOption.AllDirectories))
        {
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                using var row = JsonDocument.Parse(line);
                ids.Add(row.RootElement.GetProperty("event_id").GetGuid());
            }
        }
        return ids;
    }

    private static List<JsonElement> RejectedRows(string lake)
    {
        var root = Path.Combine(lake, "rejected");
        if (!Directory.Exists(root)) return [];
        return [.. Directory.EnumerateFiles(root, "*.ndjson", SearchOption.AllDirectories)
            .SelectMany(File.ReadLines).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone())];
    }

    private static async Task<Dictionary<Guid, string>> LedgerEventsAsync(string connectionString)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var command = dataSource.CreateCommand("select event_id, status from ledger_transactions");
        await using var reader = await command.ExecuteReaderAsync();
        var events = new Dictionary<Guid, string>();
        while (await reader.ReadAsync()) events.Add(reader.GetGuid(0), reader.GetString(1));
        return events;
    }
}
