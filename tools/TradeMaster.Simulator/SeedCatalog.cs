using Bogus;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;

namespace TradeMaster.Simulation;

/// <summary>
/// What the stores look like to the simulator: the same deterministic master data the server seeded, arranged for
/// picking. Each store's shelf is in a seeded "popularity" order, so a few titles and a few regular customers draw
/// most of the traffic and run out of stock or hit the rental limit on their own, as popular ones do.
/// </summary>
internal sealed class SeedCatalog
{
    public SeedCatalog(SeedData data, Randomizer random)
    {
        Data = data;
        Items = data.Items.ToDictionary(i => i.ItemId);
        var stockByStore = data.Stock.ToLookup(s => s.StoreId);
        Stores =
        [
            .. data.Stores.Select(store =>
            {
                var clerks = data.Employees.Where(e => e.StoreId == store.StoreId && e.Role == EmployeeRole.Clerk).ToList();
                var stock = stockByStore[store.StoreId].ToList();
                // Everything on the shelf at seed time, discontinued titles included (a clerk scans what is there, and
                // the ledger, not the simulator, knows a title left the catalog), but those sit at the back of the shelf.
                var forSale = stock.Where(s => s.CopiesForSale > 0).Select(s => s.ItemId).ToArray();
                var forRent = stock.Where(s => s.RentalCopiesOwned > 0).Select(s => s.ItemId).ToArray();
                return new StoreProfile(
                    store,
                    SeedDataGenerator.DevApiKey(store.StoreId, EmployeeRole.Clerk),
                    [.. clerks.Where(e => e.Active).Select(e => e.EmployeeId)],
                    [.. clerks.Where(e => !e.Active).Select(e => e.EmployeeId)],
                    [.. random.Shuffle(forSale).OrderBy(Discontinued)],
                    [.. random.Shuffle(forRent).OrderBy(Discontinued)],
                    TimeZoneInfo.FindSystemTimeZoneById(store.Timezone));
            }),
        ];
        CustomersByPopularity = random.Shuffle(data.Customers).ToArray();
        if (Stores.Any(s => s.ActiveClerks.Length == 0 || s.SaleShelf.Length == 0 || s.RentalShelf.Length == 0))
        {
            throw new InvalidOperationException("Every store needs an active clerk, items for sale and items for rent.");
        }
    }

    public SeedData Data { get; }

    private bool Discontinued(int itemId) => !Items[itemId].Active;

    public IReadOnlyDictionary<int, SeedItem> Items { get; }

    public IReadOnlyList<StoreProfile> Stores { get; }

    public IReadOnlyList<SeedCustomer> CustomersByPopularity { get; }
}

internal sealed record StoreProfile(
    SeedStore Store,
    string ClerkApiKey,
    int[] ActiveClerks,
    int[] InactiveClerks,
    int[] SaleShelf,
    int[] RentalShelf,
    TimeZoneInfo TimeZone)
{
    public int StoreId => Store.StoreId;
}
