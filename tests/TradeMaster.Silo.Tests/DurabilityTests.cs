using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Testing;

namespace TradeMaster.Silo.Tests;

public sealed class DurabilityTests
{
    [Fact]
    public async Task NewSilo_SameDatabase_KeepsStockOpenRentalsAndRememberedTransactions()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("durable");
        SaleCommand sale;
        TransactionOutcome saleOutcome, rentalOutcome;
        StockLevel saleStock, rentalStock;
        int clerk, saleItem, rentalItem;
        const int customer = 42;
        await using (var first = await LedgerHost.StartAsync(connectionString))
        {
            clerk = await first.ScalarAsync<int>("select min(employee_id) from employees where store_id = 3 and active and role = 'clerk'");
            saleItem = await first.ScalarAsync<int>("select s.item_id from stock s join catalog_items i using (item_id) where store_id = 3 and copies_for_sale > 3 and i.sellable and i.active order by 1 limit 1");
            rentalItem = await first.ScalarAsync<int>("select s.item_id from stock s join catalog_items i using (item_id) where store_id = 3 and rental_copies_owned > 1 and i.rentable and i.active order by 1 limit 1");
            var store = first.Grains.GetGrain<IStoreGrain>(3);
            sale = LedgerFixture.Sale(clerk, saleItem, 2);
            saleOutcome = await store.SellAsync(sale);
            rentalOutcome = await store.RentAsync(LedgerFixture.Rental(clerk, customer, rentalItem));
            Assert.True(saleOutcome.Accepted && rentalOutcome.Accepted);
            saleStock = (await store.GetStockAsync(saleItem))!;
            rentalStock = (await store.GetStockAsync(rentalItem))!;
        }

        await using var second = await LedgerHost.StartAsync(connectionString);
        var again = second.Grains.GetGrain<IStoreGrain>(3);

        Assert.Equal(saleStock, await again.GetStockAsync(saleItem));
        Assert.Equal(rentalStock, await again.GetStockAsync(rentalItem));
        var account = await second.Grains.GetGrain<ICustomerGrain>(customer).GetAccountAsync();
        Assert.Contains(account!.OpenRentals, r => r.RentalId == rentalOutcome.TransactionId);
        // Same answer, byte for byte as the API would serialize it (ImmutableArray compares by reference, JSON does not).
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(saleOutcome), System.Text.Json.JsonSerializer.Serialize(await again.SellAsync(sale)));
        Assert.Equal(saleStock, await again.GetStockAsync(saleItem));
        var returned = await again.ReturnAsync(new ReturnCommand(Guid.NewGuid(), clerk, rentalOutcome.TransactionId, null, null));
        Assert.True(returned.Accepted, returned.Refusal?.Message);
    }

    [Fact]
    public async Task Outbox_SiloStoppedBeforePublishing_PublishesOnTheNextSiloWithoutDuplicateHistory()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("outbox_restart");
        var broken = new RecordingPublisher { Failing = true };
        TransactionOutcome[] outcomes;
        await using (var first = await LedgerHost.StartAsync(connectionString, broken))
        {
            var clerk = await first.ScalarAsync<int>("select min(employee_id) from employees where store_id = 4 and active and role = 'clerk'");
            var item = await first.ScalarAsync<int>("select s.item_id from stock s join catalog_items i using (item_id) where store_id = 4 and copies_for_sale > 6 and i.sellable and i.active order by 1 limit 1");
            var store = first.Grains.GetGrain<IStoreGrain>(4);
            outcomes = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => store.SellAsync(LedgerFixture.Sale(clerk, item))));
            Assert.All(outcomes, o => Assert.True(o.Accepted));
            Assert.Equal(5, await store.GetPendingEventCountAsync());
        }
        Assert.Empty(broken.All);

        // No call reaches store 4 on the new silo: the warm-up alone must find and deliver its outbox.
        await using var second = await LedgerHost.StartAsync(connectionString);
        var ids = outcomes.Select(o => o.EventId!.Value.ToString()).ToHashSet();
        await Poll.UntilAsync(() => second.Publisher.Distinct.Count(e => ids.Contains(e.Id)) == 5, TimeSpan.FromSeconds(30), "the new silo publishes the old outbox");
        await Poll.UntilAsync(async () => await second.ScalarAsync<long>("select count(*) from sales where store_id = 4") == 5, TimeSpan.FromSeconds(10), "history has each sale once");
        Assert.Equal(5L, await second.ScalarAsync<long>("select count(*) from ledger_transactions where store_id = 4"));
    }
}
