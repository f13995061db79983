using System.Text.Json;
using TradeMaster.Contracts.Grains;
using TradeMaster.Simulation;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Local;

/// <summary>
/// `--simulate N`: drives N transactions of realistic traffic through the HTTP API, waits until every event is
/// durable in the lake, then prints the simulator's summary next to what the lake gained, and writes both to
/// data/last-simulation.json.
/// </summary>
public static class LocalSimulation
{
    private static readonly JsonSerializerOptions Indented = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static async Task<int> RunAsync(LocalHost host, SimulationRequest request, CancellationToken cancellationToken = default)
    {
        var before = LakeCounts.Read(host.LakeDirectory);
        var summary = await Simulator.RunAsync(new SimulatorOptions
        {
            GatewayUrl = host.BaseAddress,
            Transactions = request.Transactions,
            Rate = request.Rate,
            Concurrency = request.Concurrency,
            Seed = host.Services.GetRequiredService<IConfiguration>().GetValue("Ledger:SeedNumber", new TradeMaster.Db.Seed.SeedOptions().Seed),
            ShowProgress = !Console.IsOutputRedirected,
        }, cancellationToken: cancellationToken);

        await WaitForOutboxesAsync(host, TimeSpan.FromMinutes(2), cancellationToken);
        var gained = LakeCounts.Read(host.LakeDirectory).Minus(before);

        summary.Render();
        Console.WriteLine();
        Console.WriteLine($"Lake {host.LakeDirectory} gained:");
        foreach (var (type, lines) in gained.Transactions.OrderBy(t => t.Key))
        {
            Console.WriteLine($"  transactions  {type,-45} {lines,6} events");
        }
        Console.WriteLine($"  rejected      {"(failed validation, with reasons)",-45} {gained.Rejected,6} messages");
        Console.WriteLine($"  files         {gained.Files,6} new NDJSON files");

        var report = Path.Combine(host.DataDirectory, "last-simulation.json");
        await File.WriteAllTextAsync(report, JsonSerializer.Serialize(new
        {
            summary = JsonSerializer.Deserialize<JsonElement>(summary.ToJson()),
            lake = gained,
        }, Indented), cancellationToken);
        Console.WriteLine($"Summary written to {report}");
        return summary.ExitCode;
    }

    /// <summary>Every store's outbox empty means every event was acknowledged by the in-process sink: it is in the lake.</summary>
    private static async Task WaitForOutboxesAsync(LocalHost host, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var grains = host.Services.GetRequiredService<IGrainFactory>();
        var stores = (await host.Services.GetRequiredService<MasterDataCache>().GetAsync(cancellationToken)).Stores.Keys;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        while (true)
        {
            var pending = await Task.WhenAll(stores.Select(s => grains.GetGrain<IStoreGrain>(s).GetPendingEventCountAsync()));
            if (pending.Sum() == 0) return;
            await Task.Delay(TimeSpan.FromMilliseconds(200), deadline.Token);
        }
    }
}

/// <summary>Events per type under transactions/, messages under rejected/, and NDJSON files, as found on disk.</summary>
public sealed record LakeCounts(Dictionary<string, int> Transactions, int Rejected, int Files)
{
    public static LakeCounts Read(string lake)
    {
        var transactions = new Dictionary<string, int>();
        var rejected = 0;
        var files = 0;
        if (!Directory.Exists(lake)) return new LakeCounts(transactions, 0, 0);
        foreach (var file in Directory.EnumerateFiles(lake, "*.ndjson", SearchOption.AllDirectories))
        {
            files++;
            var lines = File.ReadLines(file).Count(l => l.Length > 0);
            var relative = Path.GetRelativePath(lake, file).Replace('\\', '/');
            if (relative.StartsWith("rejected/", StringComparison.Ordinal))
            {
                rejected += lines;
            }
            else if (relative.StartsWith("transactions/event_type=", StringComparison.Ordinal))
            {
                var type = relative["transactions/event_type=".Length..relative.IndexOf('/', "transactions/".Length)];
                transactions[type] = transactions.GetValueOrDefault(type) + lines;
            }
        }
        return new LakeCounts(transactions, rejected, files);
    }

    public LakeCounts Minus(LakeCounts before) => new(
        Transactions.ToDictionary(t => t.Key, t => t.Value - before.Transactions.GetValueOrDefault(t.Key)),
        Rejected - before.Rejected,
        Files - before.Files);
}
