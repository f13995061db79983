using System.Text.Json;
using Orleans.Runtime;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Testing;

namespace TradeMaster.Silo.Tests;

public sealed class LedgerTests(LedgerFixture fixture) : IClassFixture<LedgerFixture>
{
    private const int Store = 1;

    [Fact]
    public async Task SellAsync_ItemInStock_RecordsSaleDecrementsStockAndPublishesOneEvent()
    {
        var clerk = await fixture.ClerkOfAsync(Store);
        var item = await fixture.SaleItemAsync(Store, minCopies: 2);
        var customer = (await fixture.CustomersAsync(1))[0];
        var before = (await fixture.StockAsync(Store, item))!;

        var outcome = await fixture.Grains.GetGrain<IStoreGrain>(Store).SellAsync(LedgerFixture.Sale(clerk, item, 2, customer));

        Assert.True(outcome.Accepted, outcome.Refusal?.Message);
        var receipt = outcome.Receipt!;
        Assert.Equal(before.CopiesForSale - 2, (await fixture.StockAsync(Store, item))!.CopiesForSale);
        Assert.Equal(receipt.Lines.Sum(l => l.LineTotal), receipt.Total);
        Assert.Equal(receipt.Total, receipt.Payment!.Amount);
        await Poll.UntilAsync(() => fixture.Host.Publisher.Distinct.Any(e => e.Id == receipt.EventId.ToString()), TimeSpan.FromSeconds(10), "the sale event is published");
        var published = fixture.Host.Publisher.Distinct.Single(e => e.Id == receipt.EventId.ToString());
        Assert.Equal(EventTypes.SaleCompleted, published.Type);
        using var json = JsonDocument.Parse(published.Json);
        var data = json.RootElement.GetProperty("data");
        Assert.Equal(outcome.TransactionId, data.GetProperty("transaction_id").GetGuid());
        Assert.Equal(64, data.GetProperty("customer").GetProperty("key").GetString()!.Length);
        Assert.DoesNotContain("cpf", json.RootElement.GetRawText(), StringComparison.OrdinalIgnoreCase);
        await Poll.UntilAsync(async () => await fixture.Host.ScalarAsync<long>("select count(*) from sales where transaction_id = $1", outcome.TransactionId) == 1,
            TimeSpan.FromSeconds(10), "the sale reaches the history tables");
        Assert.Equal(1L, await fixture.Host.ScalarAsync<long>("select count(*) from sale_lines where transaction_id = $1", outcome.TransactionId));
        Assert.Equal(before.CopiesForSale - 2, await fixture.Host.ScalarAsync<int>("select copies_for_sale from stock where store_id = $1 and item_id = $2", Store, item));
    }

    [Fact]
    public async Task Reference_IsTheGrainGetGrainNames_AndCallsIt()
    {
        foreach (var key in new long[] { Store, 2, 0, long.MaxValue })
        {
            var expected = (GrainReference)(object)fixture.Grains.GetGrain<IStoreGrain>(key);
            var actual = (GrainReference)(object)fixture.Grains.Reference<IStoreGrain>(key);
            Assert.Equal(expected.GrainId, actual.GrainId);
            Assert.Equal(expected.InterfaceType, actual.InterfaceType);
            Assert.Equal(expected, actual);
        }
        var customer = (await fixture.CustomersAsync(1))[0];
        Assert.Equal((GrainReference)(object)fixture.Grains.GetGrain<ICustomerGrain>(customer),
            (GrainReference)(object)fixture.Grains.Reference<ICustomerGrain>(customer));
        var item = await fixture.SaleItemAsync(Store, minCopies: 1);
        Assert.Equal((await fixture.Grains.GetGrain<IStoreGrain>(Store).GetStockAsync(item))!.CopiesForSale,
            (await fixture.Grains.Reference<IStoreGrain>(Store).GetStockAsync(item))!.CopiesForSale);
    }

    [Fact]
    public async Task SellAsync_200ConcurrentSalesOf10Copies_AcceptsExactly10()
    {
        var clerk = await fixture.ClerkOfAsync(Store);
        var item = await fixture.SaleItemAsync(Store, minCopies: 11);
        var store = fixture.Grains.GetGrain<IStoreGrain>(Store);
        var start = (await store.GetStockAsync(item))!.CopiesForSale;
        Assert.True((await store.SellAsync(LedgerFixture.Sale(clerk, item, start - 10))).Accepted);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 200).Select(_ => store.SellAsync(LedgerFixture.Sale(clerk, item))));

        Assert.Equal(10, outcomes.Count(o => o.Accepted));
        Assert.Equal(190, outcomes.Count(o => o.Refusal?.Code == RefusalCodes.InsufficientStock));
        Assert.Equal(0, (await store.GetStockAsync(item))!.CopiesForSale);
    }

    [Fact]
    public async Task RentAsync_ManyConcurrentRentalsOfFewCopies_NeverLendsMoreThanOwned()
    {
        var clerk = await fixture.ClerkOfAsync(Store);
        var item = await fixture.RentalItemAsync(Store, minCopies: 2);
        var store = fixture.Grains.GetGrain<IStoreGrain>(Store);
        var owned = (await store.GetStockAsync(item))!;
        var available = owned.RentalCopiesAvailable;
        var customers = await fixture.CustomersAsync(60);

        var outcomes = await Task.WhenAll(customers.Select(c => store.RentAsync(LedgerFixture.Rental(clerk, c, item))));

        Assert.Equal(available, outcomes.Count(o => o.Accepted));
        Assert.All(outcomes.Where(o => !o.Accepted), o => Assert.Equal(RefusalCodes.InsufficientRentalCopies, o.Refusal!.Code));
        var after = (await store.GetStockAsync(item))!;
        Assert.Equal(after.RentalCopiesOwned, after.RentalCopiesOut);
    }

    [Fact]
    public async Task RentAsync_OneCustomerFromEveryStoreAtOnce_StaysWithinTheRentalLimit()
    {
        var customer = (await fixture.CustomersAsync(1))[0];
        var attempts = new List<Task<TransactionOutcome>>();
        for (var storeId = 1; storeId <= 5; storeId++)
        {
            var clerk = await fixture.ClerkOfAsync(storeId);
            for (var i = 0; i < 3; i++)
            {
                var item = await fixture.RentalItemAsync(storeId, minCopies: 1);
                attempts.Add(fixture.Grains.GetGrain<IStoreGrain>(storeId).RentAsync(LedgerFixture.Rental(clerk, customer, item)));
            }
        }

        var outcomes = await Task.WhenAll(attempts);

        Assert.Equal(5, outcomes.Count(o => o.Accepted));
        Assert.Equal(10, outcomes.Count(o => o.Refusal?.Code == RefusalCodes.RentalLimitExceeded));
        var account = await fixture.Grains.GetGrain<ICustomerGrain>(customer).GetAccountAsync();
        Assert.Equal(5, account!.OpenCopies);
    }

    [Fact]
    public async Task SellAsync_SameTransactionFiveTimesConcurrently_RecordsOneSaleWithFiveIdenticalAnswers()
    {
        var clerk = await fixture.ClerkOfAsync(Store);
        var item = await fixture.SaleItemAsync(Store, minCopies: 3);
        var store = fixture.Grains.GetGrain<IStoreGrain>(Store);
        var before = (await store.GetStockAsync(item))!.CopiesForSale;
        var command = LedgerFixture.Sale(clerk, item, 1);

        var outcomes = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => store.SellAsync(command)));

        Assert.All(outcomes, o => Assert.Equal(outcomes[0], o));
        Assert.True(outcomes[0].Accepted);
        Assert.Equal(before - 1, (await store.GetStockAsync(item))!.CopiesForSale);
        await Poll.UntilAsync(async () => await fixture.Host.ScalarAsync<long>("select count(*) from sales where transaction_id = $1", command.TransactionId) == 1,
            TimeSpan.FromSeconds(10), "the sale reaches history");
        Assert.Single(fixture.Host.Publisher.Distinct, e => e.Id == outcomes[0].EventId!.Value.ToString());
    }

    [Fact]
    public async Task SellAsync_RetriedAfterItsAnswerIsDurable_GetsTheSameAnswerFromTheJournalAndSellsOnce()
    {
        var clerk = await fixture.ClerkOfAsync(Store);
        var item = await fixture.SaleItemAsync(Store, minCopies: 3);
        var store = fixture.Grains.GetGrain<IStoreGrain>(Store);
        var command = LedgerFixture.Sale(clerk, item, 1);
        var first = await store.SellAsync(command);
        var stock = (await store.GetStockAsync(item))!.CopiesForSale;

        // The store keeps only the id and fingerprint of a durable answer: the retry reads the answer back.
        var retries = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => store.SellAsync(command)));
        var elsewhere = await fixture.Grains.GetGrain<IStoreGrain>(Store + 1).SellAsync(command);

        Assert.True(first.Accepted);
        Assert.All(retries, r => Assert.Equal(JsonSerializer.Serialize(first), JsonSerializer.Serialize(r)));
        Assert.Equal(stock, (await store.GetStockAsync(item))!.CopiesForSale);
        Assert.Equal(1L, await fixture.Host.ScalarAsync<long>("select count(*) from ledger_transactions where transaction_id = $1", command.TransactionId));
        Assert.Equal(RefusalCodes.TransactionIdConflict, elsewhere.Refusal?.Code);
    }

    [Fact]
    public async Task SellAsync_SameIdDifferentBody_IsRefusedAsConflictAndChangesNothing()
    {
        var clerk = await fixture.ClerkOfAsync(Store);
        var item = await fixture.SaleItemAsync(Store, minCopies: 3);
        var store = fixture.Grains.GetGrain<IStoreGrain>(Store);
        var first = LedgerFixture.Sale(clerk, item, 1);
        Assert.True((await store.SellAsync(first)).Accepted);
        var before = (await store.GetStockAsync(item))!.CopiesForSale;

        var conflict = await store.SellAsync(first with { Lines = [new LineRequest(item, 2)] });

        Assert.Equal(RefusalCodes.TransactionIdConflict, conflict.Refusal?.Code);
        Assert.Null(conflict.EventId);
        Assert.Equal(before, (await store.GetStockAsync(item))!.CopiesForSale);
    }

    [Fact]
    public async Task ReturnAsync_OnTime_ClosesTheRentalAndGivesTheCopiesBack()
    {
        var clerk = await fixture.ClerkOfAsync(Store);
        var item = await fixture.RentalItemAsync(Store, minCopies: 2);
        var customer = (await fixture.CustomersAsync(1))[0];
        var store = fixture.Grains.GetGrain<IStoreGrain>(Store);
        var before = (await store.GetStockAsync(item))!;
        var rental = await store.RentAsync(LedgerFixture.Rental(clerk, customer, item, quantity: 2, days: 2));
        Assert.True(rental.Accepted, rental.Refusal?.Message);
        Assert.Equal(rental.Receipt!.LocalDate.AddDays(2), rental.Receipt.Rental!.DueDate);
        Assert.Equal(before.RentalCopiesOut + 2, (await store.GetStockAsync(item))!.RentalCopiesOut);

        var returned = await store.ReturnAsync(new ReturnCommand(Guid.NewGuid(), clerk, rental.TransactionId, null, null));

        Assert.True(returned.Accepted, returned.Refusal?.Message);
        Assert.Equal(0, returned.Receipt!.Return!.LateDays);
        Assert.Equal(0m, returned.Receipt.Total);
        Assert.Equal(before.RentalCopiesOut, (await store.GetStockAsync(item))!.RentalCopiesOut);
        await Poll.UntilAsync(async () => (await fixture.Grains.GetGrain<ICustomerGrain>(customer).GetAccountAsync())!.OpenRentals.IsEmpty,
            TimeSpan.FromSeconds(10), "the customer's account closes the rental");
        await Poll.UntilAsync(async () => await fixture.Host.ScalarAsync<string>("select status from rentals where rental_id = $1", rental.TransactionId) == "closed",
            TimeSpan.FromSeconds(10), "the rental is closed in the history tables");
        await Poll.UntilAsync(async () => await fixture.Host.ScalarAsync<long>("select count(*) from unsettled_returns where transaction_id = $1", returned.TransactionId) == 0,
            TimeSpan.FromSeconds(10), "once the account knows of the return, nothing is left to settle");
    }

    [Fact]
    public async Task Outbox_TransportDownForAWhile_DeliversEveryEventOnceItIsBack()
    {
        var clerk = await fixture.ClerkOfAsync(2);
        var item = await fixture.SaleItemAsync(2, minCopies: 10);
        var store = fixture.Grains.GetGrain<IStoreGrain>(2);
        fixture.Host.Publisher.Failing = true;
        try
        {
            var outcomes = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => store.SellAsync(LedgerFixture.Sale(clerk, item))));
            Assert.All(outcomes, o => Assert.True(o.Accepted));
            var attempts = fixture.Host.Publisher.Attempts;
            await Poll.UntilAsync(() => fixture.Host.Publisher.Attempts > attempts, TimeSpan.FromSeconds(10), "the outbox retries");
            Assert.True(await store.GetPendingEventCountAsync() >= 8);
            // While the transport is down the events wait in PostgreSQL (the history row keeps the event; the view
            // unpublished_events lists it while its store_seq is past the store's relay position), not only in memory.
            var eventIds = outcomes.Select(o => o.EventId!.Value).ToArray();
            await Poll.UntilAsync(async () => await fixture.Host.ScalarAsync<long>(
                    "select count(*) from unpublished_events u join ledger_transactions l using (event_id) where u.event_id = any($1) and l.event_payload is not null", eventIds) == 8,
                TimeSpan.FromSeconds(10), "the events wait, unpublished, in PostgreSQL");
            fixture.Host.Publisher.Failing = false;
            await Poll.UntilAsync(async () => await store.GetPendingEventCountAsync() == 0, TimeSpan.FromSeconds(60), "the outbox drains");
            var ids = outcomes.Select(o => o.EventId!.Value.ToString()).ToHashSet();
            Assert.Equal(8, fixture.Host.Publisher.Distinct.Count(e => ids.Contains(e.Id)));
            Assert.Equal(0L, await fixture.Host.ScalarAsync<long>("select count(*) from unpublished_events where event_id = any($1)", eventIds));
        }
        finally
        {
            fixture.Host.Publisher.Failing = false;
        }
    }
}
