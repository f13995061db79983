using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.History;
using TradeMaster.Silo.Ledger;
using TradeMaster.Testing;

namespace TradeMaster.Silo.Tests;

/// <summary>
/// The store grain's durability: each batch is committed to the journal (the history tables) before anyone is
/// answered, and the grain state is only a checkpoint. A silo that dies before checkpointing, or a checkpoint that
/// is lost outright, must come back with exactly the same store.
/// </summary>
public sealed class JournalTests
{
    private const int Store = 2;
    private const int Customer = 77;
    private static readonly Dictionary<string, string?> NoCheckpoints = new() { ["Ledger:CheckpointInterval"] = "01:00:00" };

    public enum CheckpointFate { OlderThanTheJournal, Lost }

    [Theory]
    [InlineData(CheckpointFate.OlderThanTheJournal)]
    [InlineData(CheckpointFate.Lost)]
    public async Task NewSilo_CheckpointBehindOrLost_RebuildsTheSameStoreFromTheJournal(CheckpointFate fate)
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("journal_" + fate.ToString().ToLowerInvariant());
        SaleCommand sale;
        TransactionOutcome saleOutcome, rental, closed;
        decimal lateFee;
        StockLevel[] before;
        int clerk, saleItem, rentalItem;
        string rentalCustomerKey;
        await using (var first = await LedgerHost.StartAsync(connectionString, settings: NoCheckpoints))
        {
            clerk = await first.ScalarAsync<int>($"select min(employee_id) from employees where store_id = {Store} and active and role = 'clerk'");
            saleItem = await first.ScalarAsync<int>($"select s.item_id from stock s join catalog_items i using (item_id) where store_id = {Store} and copies_for_sale > 5 and i.sellable and i.active order by 1 limit 1");
            rentalItem = await first.ScalarAsync<int>($"select s.item_id from stock s join catalog_items i using (item_id) where store_id = {Store} and rental_copies_owned > 2 and i.rentable and i.active order by 1 limit 1");
            var store = first.Grains.GetGrain<IStoreGrain>(Store);
            await store.GetPendingEventCountAsync(); // activated: the opening checkpoint is written
            await Exec(connectionString, "create table saved_checkpoints as select * from orleansstorage");

            sale = LedgerFixture.Sale(clerk, saleItem, 2);
            saleOutcome = await store.SellAsync(sale);
            rental = await store.RentAsync(LedgerFixture.Rental(clerk, Customer, rentalItem, quantity: 2));
            // Rented ten days ago for three days, back today without paying: a late fee the customer owes.
            closed = await store.RentAsync(LedgerFixture.Rental(clerk, Customer, rentalItem) with { StartedAt = DateTimeOffset.UtcNow.AddDays(-10) });
            var returned = await store.ReturnAsync(new ReturnCommand(Guid.NewGuid(), clerk, closed.TransactionId, null, null));
            Assert.True(saleOutcome.Accepted && rental.Accepted && closed.Accepted && returned.Accepted);
            lateFee = returned.Receipt!.Return!.LateFee;
            Assert.True(lateFee > 0);
            before = [(await store.GetStockAsync(saleItem))!, (await store.GetStockAsync(rentalItem))!];
            rentalCustomerKey = first.Publisher.DataOf(EventTypes.RentalStarted).Select(d => d.GetProperty("customer").GetProperty("key").GetString()!).First();
        }

        // The silo stopped cleanly and checkpointed; put the store back to what a crash would have left.
        await Exec(connectionString, fate == CheckpointFate.Lost
            ? "delete from orleansstorage o using saved_checkpoints s where o.grainidhash = s.grainidhash and o.graintypehash = s.graintypehash and o.grainidn0 = s.grainidn0 and o.grainidn1 = s.grainidn1"
            : "update orleansstorage o set payloadbinary = s.payloadbinary from saved_checkpoints s where o.grainidhash = s.grainidhash and o.graintypehash = s.graintypehash and o.grainidn0 = s.grainidn0 and o.grainidn1 = s.grainidn1");

        await using var second = await LedgerHost.StartAsync(connectionString, settings: NoCheckpoints);
        var again = second.Grains.GetGrain<IStoreGrain>(Store);
        // The customer's account only wrote its state when it took the reservations: the return reaches it from the
        // history tables when it activates.
        var account = (await second.Grains.GetGrain<ICustomerGrain>(Customer).GetAccountAsync())!;
        Assert.Equal([rental.TransactionId], account.OpenRentals.Select(r => r.RentalId));
        Assert.Equal(lateFee, account.UnpaidLateFees);
        Assert.Equal(before[0], await again.GetStockAsync(saleItem));
        Assert.Equal(before[1], await again.GetStockAsync(rentalItem));
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(saleOutcome), System.Text.Json.JsonSerializer.Serialize(await again.SellAsync(sale)));
        Assert.Equal(before[0], await again.GetStockAsync(saleItem));

        var returnIt = await again.ReturnAsync(new ReturnCommand(Guid.NewGuid(), clerk, rental.TransactionId, null, null));
        Assert.True(returnIt.Accepted, returnIt.Refusal?.Message);
        Assert.Equal(before[1].RentalCopiesOut - 2, (await again.GetStockAsync(rentalItem))!.RentalCopiesOut);
        await Poll.UntilAsync(() => second.Publisher.DataOf(EventTypes.RentalReturned).Any(), TimeSpan.FromSeconds(10), "the return is published");
        var returnEvent = second.Publisher.DataOf(EventTypes.RentalReturned).Single();
        Assert.Equal(rentalCustomerKey, returnEvent.GetProperty("customer").GetProperty("key").GetString());
        Assert.Equal(1L, await second.ScalarAsync<long>("select count(*) from sales where transaction_id = $1", sale.TransactionId));
        Assert.Equal(before[1].RentalCopiesOut - 2, await second.ScalarAsync<int>($"select rental_copies_out from stock where store_id = {Store} and item_id = $1", rentalItem));
        // The fee the return left owed was in the journal after the checkpoint (or in no checkpoint at all): the new
        // activation still knows it, takes its payment once, and the customer owes nothing more.
        var pay = new LateFeePaymentCommand(Guid.NewGuid(), clerk, closed.TransactionId, new PaymentRequest(PaymentMethod.Cash, null));
        var paid = await again.PayLateFeeAsync(pay);
        Assert.True(paid.Accepted, paid.Refusal?.Message);
        Assert.Equal(lateFee, paid.Receipt!.Total);
        Assert.Equal(RefusalCodes.LateFeeNotOwed, (await again.PayLateFeeAsync(pay with { TransactionId = Guid.NewGuid() })).Refusal?.Code);
        await Poll.UntilAsync(async () => (await second.Grains.GetGrain<ICustomerGrain>(Customer).GetAccountAsync())!.UnpaidLateFees == 0,
            TimeSpan.FromSeconds(10), "the payment reaches the customer's account");
    }

    [Fact]
    public async Task CommitAsync_OneTransactionIdAlreadyRecorded_RecordsNothingOfTheBatch()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("journal_atomic");
        await using var host = await LedgerHost.StartAsync(connectionString);
        var clerk = await host.ScalarAsync<int>($"select min(employee_id) from employees where store_id = {Store} and active and role = 'clerk'");
        var item = await host.ScalarAsync<int>($"select s.item_id from stock s join catalog_items i using (item_id) where store_id = {Store} and copies_for_sale > 5 and i.sellable and i.active order by 1 limit 1");
        var recorded = await host.Grains.GetGrain<IStoreGrain>(Store).SellAsync(LedgerFixture.Sale(clerk, item));
        var history = host.Services.GetRequiredService<LedgerHistory>();

        var fresh = Refused(Guid.NewGuid(), sequence: 1_000);
        var duplicate = Refused(recorded.TransactionId, sequence: 1_001);
        await Assert.ThrowsAsync<PostgresException>(() => history.CommitAsync(1, [fresh, duplicate]));
        Assert.Equal(0L, await host.ScalarAsync<long>("select count(*) from ledger_transactions where transaction_id = $1", fresh.TransactionId));

        // The fence: a store_seq another activation of the store already wrote.
        var usedSequence = await host.ScalarAsync<long>($"select max(store_seq) from ledger_transactions where store_id = {Store}");
        var stale = Refused(Guid.NewGuid(), usedSequence);
        await Assert.ThrowsAsync<PostgresException>(() => history.CommitAsync(Store, [stale]));
        Assert.Equal(0L, await host.ScalarAsync<long>("select count(*) from ledger_transactions where transaction_id = $1", stale.TransactionId));

        // Several stores in one commit (the silo's journal writer merges them): all or nothing across the stores too.
        var otherStore = Refused(Guid.NewGuid(), sequence: 1_000, store: 3);
        await Assert.ThrowsAsync<PostgresException>(() => history.CommitAsync([new StoreBatch(3, [otherStore]), new StoreBatch(Store, [stale])], []));
        Assert.Equal(0L, await host.ScalarAsync<long>("select count(*) from ledger_transactions where transaction_id = $1", otherStore.TransactionId));
    }

    [Fact]
    public async Task CustomerAccount_NewSilo_ReservationNotYetCommittedStillCountsAndCommittedOnesLeaveNoRow()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("journal_reservations");
        var pending = Guid.NewGuid();
        TransactionOutcome rental;
        int clerk, rentalItem;
        await using (var first = await LedgerHost.StartAsync(connectionString, settings: NoCheckpoints))
        {
            clerk = await first.ScalarAsync<int>($"select min(employee_id) from employees where store_id = {Store} and active and role = 'clerk'");
            rentalItem = await first.ScalarAsync<int>($"select s.item_id from stock s join catalog_items i using (item_id) where store_id = {Store} and rental_copies_owned > 2 and i.rentable and i.active order by 1 limit 1");
            rental = await first.Grains.GetGrain<IStoreGrain>(Store).RentAsync(LedgerFixture.Rental(clerk, Customer, rentalItem));
            Assert.True(rental.Accepted, rental.Refusal?.Message);
            // As if a store took this reservation and died before committing its rental.
            var now = DateTimeOffset.UtcNow;
            Assert.Null(await first.Grains.GetGrain<ICustomerGrain>(Customer).ReserveRentalAsync(
                new RentalReservation(pending, Store, 4, now, DateOnly.FromDateTime(now.UtcDateTime).AddDays(3))));
        }

        await using var second = await LedgerHost.StartAsync(connectionString, settings: NoCheckpoints);
        var account = (await second.Grains.GetGrain<ICustomerGrain>(Customer).GetAccountAsync())!;
        var refused = await second.Grains.GetGrain<IStoreGrain>(Store).RentAsync(LedgerFixture.Rental(clerk, Customer, rentalItem));

        Assert.Equal(new[] { rental.TransactionId, pending }.Order(), account.OpenRentals.Select(r => r.RentalId).Order());
        Assert.Equal(5, account.OpenCopies);
        Assert.Equal(RefusalCodes.RentalLimitExceeded, refused.Refusal?.Code);
        Assert.Equal(0L, await second.ScalarAsync<long>("select count(*) from rental_reservations where rental_id = $1", rental.TransactionId));
        Assert.Equal(1L, await second.ScalarAsync<long>("select count(*) from rental_reservations where rental_id = $1", pending));
    }

    [Fact]
    public async Task JournalWriter_StoresCommittingTogether_OneStaleStoreFailsAloneAndEachRowKeepsItsStore()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("journal_merged");
        await using var host = await LedgerHost.StartAsync(connectionString);
        var clerk = await host.ScalarAsync<int>($"select min(employee_id) from employees where store_id = {Store} and active and role = 'clerk'");
        var item = await host.ScalarAsync<int>($"select s.item_id from stock s join catalog_items i using (item_id) where store_id = {Store} and copies_for_sale > 5 and i.sellable and i.active order by 1 limit 1");
        await host.Grains.GetGrain<IStoreGrain>(Store).SellAsync(LedgerFixture.Sale(clerk, item));
        var usedSequence = await host.ScalarAsync<long>($"select max(store_seq) from ledger_transactions where store_id = {Store}");
        var writer = host.Services.GetRequiredService<JournalWriter>();

        // Submitted back to back, so the writer merges whatever is waiting when its loop takes a round.
        var one = writer.OpenStream(1);
        var first = Task.WhenAll(writer.AppendAsync(one, Refused(Guid.NewGuid(), sequence: 1_000_000, store: 1)),
            writer.AppendAsync(one, Refused(Guid.NewGuid(), sequence: 1_000_001, store: 1)));
        var stale = writer.AppendAsync(writer.OpenStream(Store), Refused(Guid.NewGuid(), usedSequence));
        var third = writer.AppendAsync(writer.OpenStream(3), Refused(Guid.NewGuid(), sequence: 1_000_000, store: 3));

        await first;
        await third;
        await Assert.ThrowsAsync<PostgresException>(() => stale);
        Assert.Equal(2L, await host.ScalarAsync<long>("select count(*) from refused_transactions where store_id = 1 and message = 'test'"));
        Assert.Equal(1L, await host.ScalarAsync<long>("select count(*) from refused_transactions where store_id = 3 and message = 'test'"));
        Assert.Equal(0L, await host.ScalarAsync<long>($"select count(*) from refused_transactions where store_id = {Store} and message = 'test'"));
        Assert.Equal(3L, await host.ScalarAsync<long>("select count(*) from unpublished_events u join ledger_transactions l using (event_id) where u.store_id = l.store_id and l.store_seq >= 1000000"));
    }

    [Fact]
    public async Task CustomerGrain_ReservationWaitingForItsRow_ProfileAndCloseAreAnsweredMeanwhile()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("customer_interleave");
        await using var host = await LedgerHost.StartAsync(connectionString);
        var customer = host.Grains.GetGrain<ICustomerGrain>(Customer);
        Assert.True((await customer.GetProfileAsync()).Exists);
        var rentalId = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow;

        // Another transaction holds an uncommitted row with the same rental id, so the reservation's insert waits on it.
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var blocker = await dataSource.OpenConnectionAsync();
        await using var tx = await blocker.BeginTransactionAsync();
        await using (var insert = new NpgsqlCommand(
            "insert into rental_reservations (rental_id, customer_id, store_id, copies, started_at, due_date, reserved_at) values ($1, $2, $3, 1, now(), current_date + 3, now())", blocker, tx))
        {
            insert.Parameters.AddWithValue(rentalId);
            insert.Parameters.AddWithValue(Customer);
            insert.Parameters.AddWithValue(Store);
            await insert.ExecuteNonQueryAsync();
        }
        var reserving = customer.ReserveRentalAsync(new RentalReservation(rentalId, Store, 1, now, DateOnly.FromDateTime(now.UtcDateTime).AddDays(3)));
        await Poll.UntilAsync(async () => await host.ScalarAsync<long>("select count(*) from pg_stat_activity where wait_event_type = 'Lock'") > 0,
            TimeSpan.FromSeconds(20), "the reservation waits for the other transaction's row");

        var profile = await customer.GetProfileAsync().WaitAsync(TimeSpan.FromSeconds(10));
        await customer.CloseRentalAsync(Guid.NewGuid(), 0m).WaitAsync(TimeSpan.FromSeconds(10));
        var account = await customer.GetAccountAsync().WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(profile.Active);
        Assert.Contains(account!.OpenRentals, r => r.RentalId == rentalId);
        Assert.False(reserving.IsCompleted);
        await tx.RollbackAsync();
        Assert.Null(await reserving.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task JournalWriter_AStoreWriteFails_NothingAppendedAfterItIsWrittenAndOtherStoresGoOn()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("journal_stream_failed");
        await using var host = await LedgerHost.StartAsync(connectionString, settings: new Dictionary<string, string?> { ["Ledger:MaxCommitBatch"] = "3" });
        var clerk = await host.ScalarAsync<int>($"select min(employee_id) from employees where store_id = {Store} and active and role = 'clerk'");
        var item = await host.ScalarAsync<int>($"select s.item_id from stock s join catalog_items i using (item_id) where store_id = {Store} and copies_for_sale > 5 and i.sellable and i.active order by 1 limit 1");
        await host.Grains.GetGrain<IStoreGrain>(Store).SellAsync(LedgerFixture.Sale(clerk, item));
        var usedSequence = await host.ScalarAsync<long>($"select max(store_seq) from ledger_transactions where store_id = {Store}");
        var writer = host.Services.GetRequiredService<JournalWriter>();

        // Four entries in at least two writes (at most three entries a round): the first carries a store_seq another
        // activation already wrote, the rest would be fine on their own but follow it in the store's journal.
        var stream = writer.OpenStream(Store);
        var appended = new List<Task<long>> { writer.AppendAsync(stream, Refused(Guid.NewGuid(), usedSequence)) };
        for (var i = 1; i <= 3; i++) appended.Add(writer.AppendAsync(stream, Refused(Guid.NewGuid(), 2_000_000 + i)));
        var other = writer.AppendAsync(writer.OpenStream(3), Refused(Guid.NewGuid(), sequence: 2_000_000, store: 3));
        var later = writer.AppendAsync(stream, Refused(Guid.NewGuid(), 2_000_010));

        foreach (var write in appended) await Assert.ThrowsAsync<PostgresException>(() => write);
        await Assert.ThrowsAsync<PostgresException>(() => later);
        Assert.Equal(2_000_000L, await other);
        Assert.Equal(0L, await host.ScalarAsync<long>($"select count(*) from ledger_transactions where store_id = {Store} and store_seq >= 2000000"));
        Assert.Equal(1L, await host.ScalarAsync<long>("select count(*) from ledger_transactions where store_id = 3 and store_seq = 2000000"));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ConcurrentSales_CommitsCapped_EveryCopySoldOnceAndEveryAnswerDurable(int maxCommitBatch)
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync($"journal_cap_{maxCommitBatch}");
        await using var host = await LedgerHost.StartAsync(connectionString, settings: new Dictionary<string, string?> { ["Ledger:MaxCommitBatch"] = maxCommitBatch.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        var clerk = await host.ScalarAsync<int>($"select min(employee_id) from employees where store_id = {Store} and active and role = 'clerk'");
        var item = await host.ScalarAsync<int>($"select s.item_id from stock s join catalog_items i using (item_id) where store_id = {Store} and copies_for_sale between 3 and 20 and i.sellable and i.active order by 1 limit 1");
        var store = host.Grains.GetGrain<IStoreGrain>(Store);
        var copies = (await store.GetStockAsync(item))!.CopiesForSale;

        var outcomes = await Task.WhenAll(Enumerable.Range(0, copies + 10).Select(_ => store.SellAsync(LedgerFixture.Sale(clerk, item))));

        Assert.Equal(copies, outcomes.Count(o => o.Accepted));
        Assert.Equal(10, outcomes.Count(o => o.Refusal?.Code == RefusalCodes.InsufficientStock));
        Assert.Equal(0, (await store.GetStockAsync(item))!.CopiesForSale);
        Assert.Equal(0, await host.ScalarAsync<int>($"select copies_for_sale from stock where store_id = {Store} and item_id = $1", item));
        var ids = outcomes.Select(o => o.TransactionId).ToArray();
        Assert.Equal((long)ids.Length, await host.ScalarAsync<long>("select count(*) from ledger_transactions where transaction_id = any($1)", ids));
    }

    [Fact]
    public async Task Relay_MoreEventsWaitingThanItKeepsInMemory_PublishesEveryOneInJournalOrder()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("journal_relay_order");
        var publisher = new RecordingPublisher { Failing = true };
        await using var host = await LedgerHost.StartAsync(connectionString, publisher, new Dictionary<string, string?> { ["Ledger:OutboxMaxBackoff"] = "00:00:00.500" });
        var clerk = await host.ScalarAsync<int>("select min(employee_id) from employees where store_id = 5 and active and role = 'clerk'");
        var item = await host.ScalarAsync<int>("select s.item_id from stock s join catalog_items i using (item_id) where store_id = 5 and copies_for_sale > 0 and i.sellable and i.active order by 1 limit 1");
        var store = host.Grains.GetGrain<IStoreGrain>(5);
        var outcomes = new List<TransactionOutcome>();
        for (var round = 0; round < 11; round++) // 5,500 transactions (mostly refused once the copies are gone): all events
        {
            outcomes.AddRange(await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => store.SellAsync(LedgerFixture.Sale(clerk, item)))));
        }

        publisher.Failing = false;
        var ids = outcomes.Select(o => o.EventId!.Value.ToString()).ToHashSet();
        await Poll.UntilAsync(() => publisher.Distinct.Count(e => ids.Contains(e.Id)) == ids.Count, TimeSpan.FromSeconds(60), "every event is published");

        var journalOrder = await host.QueryAsync("select event_id from ledger_transactions where store_id = 5 order by store_seq", r => r.GetGuid(0).ToString());
        var firstPublished = new List<string>();
        var seen = new HashSet<string>();
        foreach (var e in publisher.All) if (ids.Contains(e.Id) && seen.Add(e.Id)) firstPublished.Add(e.Id);
        Assert.Equal(journalOrder.Where(ids.Contains), firstPublished);
        Assert.Equal(0L, await host.ScalarAsync<long>("select count(*) from unpublished_events where store_id = 5"));
    }

    private static JournalEntry Refused(Guid transactionId, long sequence, int store = Store)
    {
        var now = DateTimeOffset.UtcNow;
        var outcome = new TransactionOutcome(transactionId, TransactionKind.Sale, store, null,
            new Refusal(RefusalCodes.InsufficientStock, "test"), Guid.NewGuid(), now);
        return new JournalEntry(sequence, transactionId, "fingerprint", outcome, EventTypes.TransactionRefused, "{}"u8.ToArray(), null, null,
            DateOnly.FromDateTime(now.UtcDateTime));
    }

    private static async Task Exec(string connectionString, string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await dataSource.CreateCommand(sql).ExecuteNonQueryAsync();
    }
}
