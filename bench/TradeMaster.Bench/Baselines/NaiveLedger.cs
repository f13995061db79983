using TradeMaster.Silo.Ledger;

namespace TradeMaster.Bench.Baselines;

/// <summary>The ledger everyone writes first: check, apply, then one state write per transaction before answering.</summary>
public interface INaiveLedgerGrain : IGrainWithIntegerKey
{
    Task<bool> SellAsync(int itemId, int quantity);
}

[GenerateSerializer, Alias("tm.bench.naive-ledger-state.v1")]
public sealed record NaiveLedgerState
{
    [Id(0)] public Dictionary<int, int> Stock { get; init; } = [];

    [Id(1)] public long Transactions { get; set; }
}

/// <summary>
/// Same ADO.NET grain storage (PostgreSQL, the ledger's provider) as the store grain, non-reentrant, one
/// WriteStateAsync per call. Its state is deliberately small (a few stock entries and a counter), which favours
/// it: the store grain's row carries a whole store's stock, open rentals and outbox.
/// </summary>
public sealed class NaiveLedgerGrain([PersistentState("naive", StorageNames.Ledger)] IPersistentState<NaiveLedgerState> state)
    : Grain, INaiveLedgerGrain
{
    public async Task<bool> SellAsync(int itemId, int quantity)
    {
        var stock = state.State.Stock;
        if (!stock.TryGetValue(itemId, out var have)) have = 1_000_000;
        if (have < quantity) return false;
        stock[itemId] = have - quantity;
        state.State.Transactions++;
        await state.WriteStateAsync();
        return true;
    }
}
