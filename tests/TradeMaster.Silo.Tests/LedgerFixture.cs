using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Testing;

namespace TradeMaster.Silo.Tests;

/// <summary>One database and one silo for a test class. Tests take disjoint items and customers from it.</summary>
public sealed class LedgerFixture : IAsyncLifetime
{
    private int _itemCursor;
    private int _customerCursor;

    public LedgerHost Host { get; private set; } = null!;

    public IGrainFactory Grains => Host.Grains;

    public async Task InitializeAsync()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("ledger");
        Host = await LedgerHost.StartAsync(connectionString);
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    public async Task<int> ClerkOfAsync(int storeId) =>
        await Host.ScalarAsync<int>("select employee_id from employees where store_id = $1 and active and role = 'clerk' order by employee_id limit 1", storeId);

    /// <summary>A sellable, active item with at least <paramref name="minCopies"/> for sale at the store, not used by another test.</summary>
    public async Task<int> SaleItemAsync(int storeId, int minCopies = 1)
    {
        var offset = Interlocked.Increment(ref _itemCursor);
        return await Host.ScalarAsync<int>(
            """
            select s.item_id from stock s join catalog_items i using (item_id)
            where s.store_id = $1 and s.copies_for_sale >= $2 and i.sellable and i.active
            order by s.item_id offset $3 limit 1
            """, storeId, minCopies, offset * 3);
    }

    public async Task<int> RentalItemAsync(int storeId, int minCopies = 1)
    {
        var offset = Interlocked.Increment(ref _itemCursor);
        return await Host.ScalarAsync<int>(
            """
            select s.item_id from stock s join catalog_items i using (item_id)
            where s.store_id = $1 and s.rental_copies_owned >= $2 and i.rentable and i.active
            order by s.item_id desc offset $3 limit 1
            """, storeId, minCopies, offset * 3);
    }

    public async Task<int[]> CustomersAsync(int count)
    {
        var offset = Interlocked.Add(ref _customerCursor, count) - count;
        var rows = await Host.QueryAsync("select customer_id from customers where active order by customer_id offset $1 limit $2",
            r => r.GetInt32(0), offset, count);
        return [.. rows];
    }

    public Task<StockLevel?> StockAsync(int storeId, int itemId) => Grains.GetGrain<IStoreGrain>(storeId).GetStockAsync(itemId);

    public static SaleCommand Sale(int employeeId, int itemId, int quantity = 1, int? customerId = null, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), employeeId, customerId, [new LineRequest(itemId, quantity)], new PaymentRequest(PaymentMethod.Pix, null));

    public static RentalCommand Rental(int employeeId, int customerId, int itemId, int quantity = 1, int days = 3, Guid? id = null) =>
        new(id ?? Guid.NewGuid(), employeeId, customerId, [new LineRequest(itemId, quantity)], days, new PaymentRequest(PaymentMethod.Cash, null));
}
