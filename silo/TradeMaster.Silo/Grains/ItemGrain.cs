using Orleans.Concurrency;
using TradeMaster.Contracts.Grains;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Grains;

/// <summary>
/// A catalog item and where it is available. Availability is asked of the store grains, which own stock, so it
/// is never stale and costs no write on the sale path. Stateless: any silo may host it.
/// </summary>
[StatelessWorker, Reentrant]
public sealed class ItemGrain(MasterDataCache masterData) : Grain, IItemGrain
{
    private int ItemId => (int)this.GetPrimaryKeyLong();

    public async Task<ItemDetails?> GetDetailsAsync() => (await masterData.GetAsync()).Items.GetValueOrDefault(ItemId);

    public async Task<ItemAvailability?> GetAvailabilityAsync()
    {
        var snapshot = await masterData.GetAsync();
        if (!snapshot.Items.ContainsKey(ItemId)) return null;
        var levels = await Task.WhenAll(snapshot.Stores.Values.Where(s => s.Active).OrderBy(s => s.StoreId)
            .Select(s => GrainFactory.GetGrain<IStoreGrain>(s.StoreId).GetStockAsync(ItemId)));
        return new ItemAvailability(ItemId, [.. levels.OfType<StockLevel>()]);
    }
}
