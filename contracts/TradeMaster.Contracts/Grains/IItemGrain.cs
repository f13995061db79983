namespace TradeMaster.Contracts.Grains;

/// <summary>A catalog item and the chain-wide view of where it can be bought or rented. Keyed by the item id.</summary>
public interface IItemGrain : IGrainWithIntegerKey
{
    Task<ItemDetails?> GetDetailsAsync();

    Task<ItemAvailability?> GetAvailabilityAsync();
}
