using System.Collections.Immutable;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Testing;

namespace TradeMaster.Silo.Tests;

/// <summary>Master data with one of everything that must be refused: a closed store, a former employee, …</summary>
public sealed class RefusalFixture : IAsyncLifetime
{
    public const int ClosedStore = 5;

    public ShiftedTimeProvider Time { get; } = new();

    public LedgerHost Host { get; private set; } = null!;

    public int Clerk { get; private set; }
    public int ClerkOfStore2 { get; private set; }
    public int FormerClerk { get; private set; }
    public int InactiveCustomer { get; private set; }
    public int InactiveItem { get; private set; }
    public int UnsellableItem { get; private set; }
    public int UnrentableItem { get; private set; }

    public async Task InitializeAsync()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("refusals");
        await using (var dataSource = Npgsql.NpgsqlDataSource.Create(connectionString))
        {
            await using var command = dataSource.CreateCommand(
                $"""
                update stores set active = false where store_id = {ClosedStore};
                update employees set active = true where store_id = 1;
                update employees set active = false where employee_id = (select max(employee_id) from employees where store_id = 1 and role = 'clerk');
                update customers set active = false where customer_id = 2000;
                update customers set active = true where customer_id < 2000;
                update catalog_items set active = false where item_id = (select min(item_id) from stock where store_id = 1 and copies_for_sale > 0 and item_id > 900);
                update catalog_items set sellable = false, active = true where item_id = (select min(item_id) from stock where store_id = 1 and copies_for_sale > 0 and item_id > 800);
                update catalog_items set rentable = false, active = true where item_id = (select min(item_id) from stock where store_id = 1 and rental_copies_owned > 0 and item_id > 700);
                """);
            await command.ExecuteNonQueryAsync();
        }
        Host = await LedgerHost.StartAsync(connectionString, time: Time);
        Clerk = await Host.ScalarAsync<int>("select min(employee_id) from employees where store_id = 1 and role = 'clerk' and active");
        ClerkOfStore2 = await Host.ScalarAsync<int>("select min(employee_id) from employees where store_id = 2 and active");
        FormerClerk = await Host.ScalarAsync<int>("select employee_id from employees where store_id = 1 and not active");
        InactiveCustomer = 2000;
        InactiveItem = await Host.ScalarAsync<int>("select item_id from catalog_items where not active and item_id > 900 order by item_id limit 1");
        UnsellableItem = await Host.ScalarAsync<int>("select item_id from catalog_items where not sellable and active and item_id > 800 order by item_id limit 1");
        UnrentableItem = await Host.ScalarAsync<int>("select item_id from catalog_items where not rentable and active and item_id > 700 order by item_id limit 1");
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();
}

public sealed class RefusalTests(RefusalFixture fixture) : IClassFixture<RefusalFixture>
{
    private const int Store = 1;
    private static readonly PaymentRequest Pix = new(PaymentMethod.Pix, null);

    private IStoreGrain StoreGrain(int id = Store) => fixture.Host.Grains.GetGrain<IStoreGrain>(id);

    private Task<int> SaleItemAsync(int minCopies = 1) => fixture.Host.ScalarAsync<int>(
        "select s.item_id from stock s join catalog_items i using (item_id) where s.store_id = 1 and s.copies_for_sale >= $1 and i.active and i.sellable order by s.item_id limit 1", minCopies);

    private Task<int> RentalItemAsync(int offset) => fixture.Host.ScalarAsync<int>(
        "select s.item_id from stock s join catalog_items i using (item_id) where s.store_id = 1 and s.rental_copies_owned >= 1 and i.active and i.rentable order by s.item_id offset $1 limit 1", offset);

    [Fact]
    public async Task Ledger_EveryRefusalCode_IsReachedAndRecorded()
    {
        var reached = new Dictionary<string, TransactionOutcome>();
        async Task Expect(string code, Task<TransactionOutcome> attempt)
        {
            var outcome = await attempt;
            Assert.True(outcome.Refusal?.Code == code, $"expected {code}, got {outcome.Refusal?.Code ?? "accepted"}: {outcome.Refusal?.Message}");
            reached[code] = outcome;
        }
        var saleItem = await SaleItemAsync();
        var stock = (await StoreGrain().GetStockAsync(saleItem))!;
        var customers = Enumerable.Range(1, 40).ToArray();

        await Expect(RefusalCodes.StoreUnknown, StoreGrain(999).SellAsync(LedgerFixture.Sale(fixture.Clerk, saleItem)));
        await Expect(RefusalCodes.StoreInactive, StoreGrain(RefusalFixture.ClosedStore).SellAsync(LedgerFixture.Sale(fixture.Clerk, saleItem)));
        await Expect(RefusalCodes.EmployeeUnknown, StoreGrain().SellAsync(LedgerFixture.Sale(99_999, saleItem)));
        await Expect(RefusalCodes.EmployeeInactive, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.FormerClerk, saleItem)));
        await Expect(RefusalCodes.EmployeeNotAtStore, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.ClerkOfStore2, saleItem)));
        await Expect(RefusalCodes.CustomerUnknown, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.Clerk, saleItem, customerId: 99_999)));
        await Expect(RefusalCodes.CustomerInactive, StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, fixture.InactiveCustomer, await RentalItemAsync(0))));
        await Expect(RefusalCodes.ItemUnknown, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.Clerk, 99_999)));
        await Expect(RefusalCodes.ItemInactive, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.Clerk, fixture.InactiveItem)));
        await Expect(RefusalCodes.ItemNotSellable, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.Clerk, fixture.UnsellableItem)));
        await Expect(RefusalCodes.ItemNotRentable, StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customers[0], fixture.UnrentableItem)));
        await Expect(RefusalCodes.InsufficientStock, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.Clerk, saleItem, stock.CopiesForSale + 1)));
        var rentalItem = await RentalItemAsync(1);
        var rentalStock = (await StoreGrain().GetStockAsync(rentalItem))!;
        await Expect(RefusalCodes.InsufficientRentalCopies,
            StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customers[1], rentalItem, rentalStock.RentalCopiesAvailable + 1)));
        await Expect(RefusalCodes.QuantityOutOfRange, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.Clerk, saleItem, 0)));
        await Expect(RefusalCodes.QuantityOutOfRange, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.Clerk, saleItem, 101)));
        var tooMany = new SaleCommand(Guid.NewGuid(), fixture.Clerk, null, [.. Enumerable.Repeat(new LineRequest(saleItem, 1), 51)], Pix);
        await Expect(RefusalCodes.TooManyLines, StoreGrain().SellAsync(tooMany));
        await Expect(RefusalCodes.PaymentInvalid, StoreGrain().SellAsync(LedgerFixture.Sale(fixture.Clerk, saleItem) with { Payment = new PaymentRequest(PaymentMethod.Pix, 3) }));
        await Expect(RefusalCodes.RentalPeriodOutOfRange, StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customers[2], rentalItem, days: 0)));
        await Expect(RefusalCodes.RentalPeriodOutOfRange, StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customers[2], rentalItem, days: 31)));
        await Expect(RefusalCodes.RentalStartOutOfRange,
            StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customers[2], rentalItem) with { StartedAt = fixture.Time.GetUtcNow().AddDays(-31) }));
        await Expect(RefusalCodes.RentalStartOutOfRange,
            StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customers[2], rentalItem) with { StartedAt = fixture.Time.GetUtcNow().AddHours(1) }));

        // Over the limit in one go: six different titles for a limit of five.
        var six = new List<LineRequest>();
        for (var i = 2; six.Count < 6; i++)
        {
            var id = await RentalItemAsync(i);
            if (((await StoreGrain().GetStockAsync(id))!).RentalCopiesAvailable >= 1 && six.All(l => l.ItemId != id)) six.Add(new LineRequest(id, 1));
        }
        await Expect(RefusalCodes.RentalLimitExceeded,
            StoreGrain().RentAsync(new RentalCommand(Guid.NewGuid(), fixture.Clerk, customers[3], [.. six], 3, Pix)));

        // Returns: unknown, before start, in the future, twice; a late one leaves a fee that blocks new rentals.
        await Expect(RefusalCodes.RentalUnknown, StoreGrain().ReturnAsync(new ReturnCommand(Guid.NewGuid(), fixture.Clerk, Guid.NewGuid(), null, null)));
        var rental = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customers[4], six[0].ItemId, days: 2));
        Assert.True(rental.Accepted, rental.Refusal?.Message);
        await Expect(RefusalCodes.ReturnBeforeRentalStart,
            StoreGrain().ReturnAsync(new ReturnCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, rental.Receipt!.OccurredAt.AddHours(-1), null)));
        await Expect(RefusalCodes.ReturnDateInFuture,
            StoreGrain().ReturnAsync(new ReturnCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, fixture.Time.GetUtcNow().AddDays(1), null)));

        fixture.Time.Advance(TimeSpan.FromDays(5));
        var late = await StoreGrain().ReturnAsync(new ReturnCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, null, null));
        Assert.True(late.Accepted, late.Refusal?.Message);
        var daily = rental.Receipt.Lines[0].DailyPrice!.Value;
        Assert.InRange(late.Receipt!.Return!.LateDays, 2, 3); // 5 days later, due after 2: 3 late days (2 across a midnight edge)
        Assert.Equal(late.Receipt.Return.LateDays * daily, late.Receipt.Return.LateFee);
        Assert.False(late.Receipt.Return.FeePaid);
        Assert.Equal(late.Receipt.Return.LateFee, late.Receipt.Total);
        await Expect(RefusalCodes.RentalAlreadyClosed, StoreGrain().ReturnAsync(new ReturnCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, null, null)));
        await Poll.UntilAsync(async () => (await fixture.Host.Grains.GetGrain<ICustomerGrain>(customers[4]).GetAccountAsync())!.UnpaidLateFees > 0,
            TimeSpan.FromSeconds(10), "the late fee reaches the customer's account");
        await Expect(RefusalCodes.CustomerBlockedUnpaidFees,
            StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customers[4], six[1].ItemId)));
        var paid = await StoreGrain().PayLateFeeAsync(new LateFeePaymentCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, Pix));
        Assert.True(paid.Accepted, paid.Refusal?.Message);
        await Expect(RefusalCodes.LateFeeNotOwed, StoreGrain().PayLateFeeAsync(new LateFeePaymentCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, Pix)));

        var first = LedgerFixture.Sale(fixture.Clerk, saleItem);
        Assert.True((await StoreGrain().SellAsync(first)).Accepted);
        await Expect(RefusalCodes.TransactionIdConflict, StoreGrain().SellAsync(first with { EmployeeId = fixture.Clerk, Lines = [new LineRequest(saleItem, 2)] }));

        Assert.Equal(RefusalCodes.All.Order(), reached.Keys.Order());

        // Every business refusal is a refused-transaction event and a history row; store_unknown and conflicts are not.
        var recorded = reached.Where(r => r.Key is not (RefusalCodes.StoreUnknown or RefusalCodes.TransactionIdConflict)).ToList();
        await Poll.UntilAsync(async () => await fixture.Host.ScalarAsync<long>("select count(*) from refused_transactions") >= recorded.Count,
            TimeSpan.FromSeconds(15), "refusals reach the history tables");
        foreach (var (code, outcome) in recorded)
        {
            Assert.Equal(code, await fixture.Host.ScalarAsync<string>("select code from refused_transactions where transaction_id = $1", outcome.TransactionId));
            await Poll.UntilAsync(() => fixture.Host.Publisher.Distinct.Any(e => e.Id == outcome.EventId!.Value.ToString() && e.Type == EventTypes.TransactionRefused),
                TimeSpan.FromSeconds(10), $"the {code} refusal is published");
        }
        Assert.Null(reached[RefusalCodes.StoreUnknown].EventId);
        // Sales, rentals, returns and refusals naming unknown employees, customers and items: no history row
        // refers to a store, employee, customer, item, rental or transaction that does not exist.
        Assert.Equal(0L, await fixture.Host.ScalarAsync<long>("select count(*) from ledger_reference_violations"));
    }

    [Fact]
    public async Task RentAsync_KeyedInAfterAnOutage_IsDueFromItsRealStartAndComesBackLate()
    {
        var item = await RentalItemAsync(25);
        var startedAt = fixture.Time.GetUtcNow().AddDays(-6);

        var rental = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, 310, item, days: 2) with { StartedAt = startedAt });
        Assert.True(rental.Accepted, rental.Refusal?.Message);
        Assert.Equal(startedAt.UtcDateTime, rental.Receipt!.OccurredAt.UtcDateTime);
        Assert.Equal(rental.Receipt.Rental!.StartDate.AddDays(2), rental.Receipt.Rental.DueDate);

        var returned = await StoreGrain().ReturnAsync(new ReturnCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, null, null));

        Assert.True(returned.Accepted, returned.Refusal?.Message);
        Assert.InRange(returned.Receipt!.Return!.LateDays, 3, 5);
        Assert.Equal(returned.Receipt.Return.LateDays * rental.Receipt.Lines[0].DailyPrice!.Value, returned.Receipt.Return.LateFee);
    }

    [Fact]
    public async Task ReserveRentalAsync_ReservationTheStoreNeverRecorded_IsReleasedAfterTheTimeout()
    {
        // As if store 1 crashed after the customer's reservation and before its own state write.
        var customer = fixture.Host.Grains.GetGrain<ICustomerGrain>(320);
        var phantom = Guid.NewGuid();
        var now = fixture.Time.GetUtcNow();
        Assert.Null(await customer.ReserveRentalAsync(new RentalReservation(phantom, Store, 5, now, DateOnly.FromDateTime(now.UtcDateTime).AddDays(3))));
        var item = await RentalItemAsync(30);

        var blocked = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, 320, item));
        fixture.Time.Advance(TimeSpan.FromMinutes(6));
        var rental = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, 320, item));

        Assert.Equal(RefusalCodes.RentalLimitExceeded, blocked.Refusal?.Code);
        Assert.True(rental.Accepted, rental.Refusal?.Message);
        var account = await customer.GetAccountAsync();
        Assert.DoesNotContain(account!.OpenRentals, r => r.RentalId == phantom);
        Assert.Contains(account.OpenRentals, r => r.RentalId == rental.TransactionId);
    }

    [Fact]
    public async Task ConfirmRentalAsync_RecordedRental_SurvivesTheReservationTimeout()
    {
        var item = await RentalItemAsync(35);
        var rental = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, 330, item));
        Assert.True(rental.Accepted, rental.Refusal?.Message);
        await Poll.UntilAsync(async () => await StoreGrain().GetPendingEventCountAsync() == 0, TimeSpan.FromSeconds(15), "the store confirms the rental");

        fixture.Time.Advance(TimeSpan.FromMinutes(6));
        var second = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, 330, await RentalItemAsync(36)));

        Assert.True(second.Accepted, second.Refusal?.Message);
        var account = await fixture.Host.Grains.GetGrain<ICustomerGrain>(330).GetAccountAsync();
        Assert.Contains(account!.OpenRentals, r => r.RentalId == rental.TransactionId);
        Assert.True(await StoreGrain().HasRentalAsync(rental.TransactionId));
        Assert.False(await StoreGrain().HasRentalAsync(Guid.NewGuid()));
    }

    [Fact]
    public async Task PayLateFeeAsync_FeeLeftOwed_IsPaidExactlyOnceAndUnblocksRentals()
    {
        const int customerId = 340;
        var customer = fixture.Host.Grains.GetGrain<ICustomerGrain>(customerId);
        var rental = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customerId, await RentalItemAsync(40), days: 1));
        var stillOut = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customerId, await RentalItemAsync(41), days: 10));
        Assert.True(rental.Accepted && stillOut.Accepted, rental.Refusal?.Message ?? stillOut.Refusal?.Message);
        fixture.Time.Advance(TimeSpan.FromDays(4));
        var returned = await StoreGrain().ReturnAsync(new ReturnCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, null, null));
        Assert.True(returned.Accepted, returned.Refusal?.Message);
        var fee = returned.Receipt!.Return!.LateFee;
        Assert.True(fee > 0 && !returned.Receipt.Return.FeePaid);
        await Poll.UntilAsync(async () => (await customer.GetAccountAsync())!.UnpaidLateFees == fee, TimeSpan.FromSeconds(10), "the fee reaches the account");
        Assert.Equal(new UnpaidLateFee(rental.TransactionId, Store, fee), Assert.Single((await customer.GetAccountAsync())!.UnpaidFees));
        Assert.Equal(RefusalCodes.CustomerBlockedUnpaidFees,
            (await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customerId, await RentalItemAsync(42)))).Refusal?.Code);

        // Paid where the return was not taken, for a rental still out, and for no rental at all: nothing is paid.
        var elsewhere = await StoreGrain(2).PayLateFeeAsync(new LateFeePaymentCommand(Guid.NewGuid(), fixture.ClerkOfStore2, rental.TransactionId, Pix));
        var notBack = await StoreGrain().PayLateFeeAsync(new LateFeePaymentCommand(Guid.NewGuid(), fixture.Clerk, stillOut.TransactionId, Pix));
        var noRental = await StoreGrain().PayLateFeeAsync(new LateFeePaymentCommand(Guid.NewGuid(), fixture.Clerk, Guid.NewGuid(), Pix));
        Assert.Equal(RefusalCodes.RentalUnknown, elsewhere.Refusal?.Code);
        Assert.Equal(RefusalCodes.LateFeeNotOwed, notBack.Refusal?.Code);
        Assert.Contains("not been returned", notBack.Refusal!.Message);
        Assert.Equal(RefusalCodes.RentalUnknown, noRental.Refusal?.Code);

        // Five tills paying the same fee at once: one payment, four refusals.
        var attempts = Enumerable.Range(0, 5)
            .Select(_ => new LateFeePaymentCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, new PaymentRequest(PaymentMethod.CreditCard, 2)))
            .ToList();
        var outcomes = await Task.WhenAll(attempts.Select(a => StoreGrain().PayLateFeeAsync(a)));
        var payment = Assert.Single(outcomes, o => o.Accepted);
        Assert.All(outcomes.Where(o => !o.Accepted), o => Assert.Equal(RefusalCodes.LateFeeNotOwed, o.Refusal?.Code));

        var receipt = payment.Receipt!;
        Assert.Equal(TransactionKind.LateFeePayment, receipt.Kind);
        Assert.Equal(customerId, receipt.CustomerId);
        Assert.Empty(receipt.Lines);
        Assert.Equal(fee, receipt.Total);
        Assert.Equal(new PaymentInfo(PaymentMethod.CreditCard, 2, fee), receipt.Payment);
        Assert.Equal(returned.Receipt.Return with { FeePaid = true }, receipt.Return);
        // A retry of the payment is answered the same and pays nothing more.
        var retry = await StoreGrain().PayLateFeeAsync(attempts[outcomes.ToList().IndexOf(payment)]);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(payment), System.Text.Json.JsonSerializer.Serialize(retry));

        await Poll.UntilAsync(async () => (await customer.GetAccountAsync())!.UnpaidLateFees == 0, TimeSpan.FromSeconds(10), "the payment reaches the account");
        Assert.Empty((await customer.GetAccountAsync())!.UnpaidFees);
        var rentsAgain = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, customerId, await RentalItemAsync(42)));
        Assert.True(rentsAgain.Accepted, rentsAgain.Refusal?.Message);

        Assert.True(await fixture.Host.ScalarAsync<bool>("select fee_paid from returns where rental_id = $1", rental.TransactionId));
        Assert.Equal(fee, await fixture.Host.ScalarAsync<decimal>(
            "select amount from late_fee_payments where rental_id = $1 and transaction_id = $2", rental.TransactionId, receipt.TransactionId));
        Assert.Equal(fee, await fixture.Host.ScalarAsync<decimal>("select amount from payments where transaction_id = $1", receipt.TransactionId));
        Assert.Equal("late_fee_payment", await fixture.Host.ScalarAsync<string>("select kind from ledger_transactions where transaction_id = $1", receipt.TransactionId));
        await Poll.UntilAsync(() => fixture.Host.Publisher.DataOf(EventTypes.LateFeePaid).Any(d => d.GetProperty("transaction_id").GetGuid() == receipt.TransactionId),
            TimeSpan.FromSeconds(10), "the payment is published");
        var data = fixture.Host.Publisher.DataOf(EventTypes.LateFeePaid).Single(d => d.GetProperty("transaction_id").GetGuid() == receipt.TransactionId);
        Assert.Equal("late_fee_payment", data.GetProperty("transaction_type").GetString());
        Assert.Equal(fee, data.GetProperty("total").GetDecimal());
        Assert.Equal(rental.TransactionId, data.GetProperty("return").GetProperty("rental_id").GetGuid());
        Assert.True(data.GetProperty("return").GetProperty("fee_paid").GetBoolean());
        var rentalKey = fixture.Host.Publisher.DataOf(EventTypes.RentalStarted)
            .Single(d => d.GetProperty("transaction_id").GetGuid() == rental.TransactionId).GetProperty("customer").GetProperty("key").GetString();
        Assert.Equal(rentalKey, data.GetProperty("customer").GetProperty("key").GetString());
    }

    [Fact]
    public async Task ReturnAsync_LateWithPayment_SettlesTheFeeOnTheSpot()
    {
        var item = await RentalItemAsync(20);
        var rental = await StoreGrain().RentAsync(LedgerFixture.Rental(fixture.Clerk, 300, item, days: 1));
        Assert.True(rental.Accepted, rental.Refusal?.Message);
        var returnedAt = rental.Receipt!.OccurredAt.AddDays(4);
        fixture.Time.Advance(TimeSpan.FromDays(4));

        var returned = await StoreGrain().ReturnAsync(new ReturnCommand(Guid.NewGuid(), fixture.Clerk, rental.TransactionId, returnedAt, new PaymentRequest(PaymentMethod.DebitCard, null)));

        Assert.True(returned.Accepted, returned.Refusal?.Message);
        Assert.True(returned.Receipt!.Return!.FeePaid);
        Assert.Equal(returned.Receipt.Return.LateFee, returned.Receipt.Payment!.Amount);
        await Poll.UntilAsync(async () => (await fixture.Host.Grains.GetGrain<ICustomerGrain>(300).GetAccountAsync())!.OpenRentals.IsEmpty,
            TimeSpan.FromSeconds(10), "the rental closes on the customer's account");
        Assert.Equal(0m, (await fixture.Host.Grains.GetGrain<ICustomerGrain>(300).GetAccountAsync())!.UnpaidLateFees);
    }
}
