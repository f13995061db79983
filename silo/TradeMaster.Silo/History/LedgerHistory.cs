using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Npgsql;
using NpgsqlTypes;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Contracts.Grains;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.History;

public sealed record RememberedTransaction(int StoreId, string Fingerprint, TransactionOutcome Outcome);

/// <summary>One store's journal entries for a commit, in the order the store applied them.</summary>
public readonly record struct StoreBatch(int StoreId, IReadOnlyList<JournalEntry> Entries);

/// <summary>A customer's reservation of rental copies against the chain-wide limit, until its store commits the rental.</summary>
public sealed record ReservationRow(Guid RentalId, int CustomerId, int StoreId, int Copies, DateTimeOffset StartedAt, DateOnly DueDate, DateTimeOffset ReservedAt);

/// <summary>
/// A customer's account as the tables hold it: committed open rentals, reservations no store has committed yet
/// (with when they were taken), and the late fees of returns left unpaid, by rental.
/// </summary>
public sealed record CustomerRecords(List<OpenRental> Open, Dictionary<Guid, DateTimeOffset> Reserved, Dictionary<Guid, UnpaidLateFee> Unpaid);

/// <summary>
/// The relational history of the ledger (seed task 1), which is also each store's journal: a store grain commits
/// every batch of transactions here before answering, replays it after its checkpoint when it activates, and
/// answers a retried request it no longer remembers from here.
/// </summary>
public sealed class LedgerHistory(NpgsqlDataSource dataSource)
{
    private static readonly JsonTypeInfo<TransactionOutcome> Outcome = (JsonTypeInfo<TransactionOutcome>)
        new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = OutcomeJsonContext.Default }.GetTypeInfo(typeof(TransactionOutcome));

    /// <summary>The answer as the journal stores it (<c>ledger_transactions.outcome</c>) and reads it back.</summary>
    internal static byte[] OutcomeBytes(TransactionOutcome outcome) => JsonSerializer.SerializeToUtf8Bytes(outcome, Outcome);

    internal static TransactionOutcome ReadOutcome(byte[] json) => JsonSerializer.Deserialize(json, Outcome)!;

    public async Task<Dictionary<Guid, RememberedTransaction>> LookupAsync(IReadOnlyCollection<Guid> transactionIds, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<Guid, RememberedTransaction>();
        if (transactionIds.Count == 0) return found;
        await using var command = dataSource.CreateCommand(
            "select transaction_id, store_id, request_fingerprint, outcome from ledger_transactions where transaction_id = any($1)");
        command.Parameters.Add(UuidArray(transactionIds));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var outcome = ReadOutcome(reader.GetFieldValue<byte[]>(3));
            found[reader.GetGuid(0)] = new RememberedTransaction(reader.GetInt32(1), reader.GetString(2), outcome);
        }
        return found;
    }

    /// <summary>This store's events after <paramref name="afterSequence"/>, in journal order (the relay's read-back).</summary>
    public async Task<List<(long Sequence, OutgoingEvent Event)>> LoadEventsAfterAsync(int storeId, long afterSequence, int limit, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            select store_seq, event_id, event_type, event_payload from ledger_transactions
            where store_id = $1 and store_seq > $2 order by store_seq limit $3
            """);
        command.Parameters.AddWithValue(storeId);
        command.Parameters.AddWithValue(afterSequence);
        command.Parameters.AddWithValue(limit);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var events = new List<(long, OutgoingEvent)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            events.Add((reader.GetInt64(0), new OutgoingEvent(reader.GetGuid(1).ToString("D"), reader.GetString(2), storeId, reader.GetFieldValue<byte[]>(3))));
        }
        return events;
    }

    public async Task<long> CountEventsAfterAsync(int storeId, long afterSequence, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("select count(*) from ledger_transactions where store_id = $1 and store_seq > $2");
        command.Parameters.AddWithValue(storeId);
        command.Parameters.AddWithValue(afterSequence);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Up to which <c>store_seq</c> the transport acknowledged this store's events (0: none yet).</summary>
    public async Task<long> LoadRelayPositionAsync(int storeId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("select published_seq from relay_positions where store_id = $1");
        command.Parameters.AddWithValue(storeId);
        return await command.ExecuteScalarAsync(cancellationToken) is long position ? position : 0;
    }

    /// <summary>The transport acknowledged this store's events up to <paramref name="sequence"/>. Never moves back.</summary>
    public async Task SetRelayPositionAsync(int storeId, long sequence, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            insert into relay_positions (store_id, published_seq) values ($1, $2)
            on conflict (store_id) do update set published_seq = excluded.published_seq
            where relay_positions.published_seq < excluded.published_seq
            """);
        command.Parameters.AddWithValue(storeId);
        command.Parameters.AddWithValue(sequence);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>"open" or "closed" when this store's history has the rental, null when it has never recorded it.</summary>
    public async Task<string?> RentalStatusAsync(int storeId, Guid rentalId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("select status from rentals where rental_id = $1 and store_id = $2");
        command.Parameters.AddWithValue(rentalId);
        command.Parameters.AddWithValue(storeId);
        return (string?)await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>
    /// The late fees this store's returns left owed (<c>returns.fee_paid</c> false), with what a payment's receipt and
    /// event repeat of the return. As of the last commit: an activation replays the journal after its checkpoint onto
    /// it, which adds and removes the same rentals again and so changes nothing.
    /// </summary>
    public async Task<Dictionary<Guid, OwedLateFee>> LoadOwedLateFeesAsync(int storeId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            select t.rental_id, r.customer_id, r.started_at, r.due_date, t.returned_at, t.late_days, t.late_fee
            from returns t join rentals r using (rental_id)
            where t.store_id = $1 and not t.fee_paid and t.late_fee > 0
            """);
        command.Parameters.AddWithValue(storeId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var owed = new Dictionary<Guid, OwedLateFee>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var rentalId = reader.GetGuid(0);
            owed[rentalId] = new OwedLateFee(reader.GetInt32(1), new ReturnInfo(rentalId, reader.GetFieldValue<DateTimeOffset>(2),
                reader.GetFieldValue<DateOnly>(3), reader.GetFieldValue<DateTimeOffset>(4), reader.GetInt32(5), reader.GetDecimal(6), FeePaid: false));
        }
        return owed;
    }

    /// <summary>
    /// One customer's account, read in one statement (one snapshot): a reservation and the commit of its rental, or
    /// a rental and its return, are never seen half done.
    /// </summary>
    public async Task<CustomerRecords> LoadCustomerAsync(int customerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            select 'open', r.rental_id, r.store_id, (select coalesce(sum(l.quantity), 0)::int from rental_lines l where l.rental_id = r.rental_id),
                   r.started_at, r.due_date, null::timestamptz, null::numeric
              from rentals r where r.customer_id = $1 and r.status = 'open'
            union all
            select 'reserved', v.rental_id, v.store_id, v.copies, v.started_at, v.due_date, v.reserved_at, null
              from rental_reservations v where v.customer_id = $1
            union all
            select 'owed', t.rental_id, t.store_id, null, null, null, null, t.late_fee
              from returns t join rentals r using (rental_id) where r.customer_id = $1 and not t.fee_paid and t.late_fee > 0
            """);
        command.Parameters.AddWithValue(customerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var records = new CustomerRecords([], [], []);
        while (await reader.ReadAsync(cancellationToken))
        {
            switch (reader.GetString(0))
            {
                case "owed":
                    records.Unpaid[reader.GetGuid(1)] = new UnpaidLateFee(reader.GetGuid(1), reader.GetInt32(2), reader.GetDecimal(7));
                    break;
                case var kind:
                    var rentalId = reader.GetGuid(1);
                    records.Open.Add(new OpenRental(rentalId, reader.GetInt32(2), reader.GetInt32(3),
                        reader.GetFieldValue<DateTimeOffset>(4), reader.GetFieldValue<DateOnly>(5)));
                    if (kind == "reserved") records.Reserved[rentalId] = reader.GetFieldValue<DateTimeOffset>(6);
                    break;
            }
        }
        return records;
    }

    /// <summary>A reservation whose store never recorded the rental gives its copies back to the customer's limit.</summary>
    public async Task ReleaseReservationAsync(Guid rentalId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("delete from rental_reservations where rental_id = $1");
        command.Parameters.AddWithValue(rentalId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// Commits a batch of journal entries: the transactions, their detail rows, their events and the stock deltas,
    /// as one statement batch (one round trip, one implicit database transaction — all or nothing). A transaction id
    /// that is already recorded, or a <c>store_seq</c> another activation of the store already wrote, fails the
    /// whole batch.
    /// </summary>
    public Task CommitAsync(int storeId, IReadOnlyList<JournalEntry> entries, CancellationToken cancellationToken = default) =>
        CommitAsync([new StoreBatch(storeId, entries)], [], cancellationToken: cancellationToken);

    /// <summary>
    /// Commits the batches of several stores in one database transaction (the silo's <see cref="JournalWriter"/>
    /// merges them), with the customers' rental reservations taken meanwhile: each table gets one statement for all
    /// of them, so ten stores cost what one does. All or nothing across the stores too.
    /// </summary>
    /// <param name="settled">Committed returns and late fee payments the customers' accounts now know of (<c>unsettled_returns</c> rows to delete).</param>
    public async Task CommitAsync(IReadOnlyList<StoreBatch> batches, IReadOnlyList<ReservationRow> reservations,
        IReadOnlyCollection<Guid>? settled = null, CancellationToken cancellationToken = default)
    {
        var n = batches.Sum(b => b.Entries.Count);
        if (n == 0 && reservations.Count == 0 && (settled is null || settled.Count == 0)) return;
        var ids = new Guid[n]; var stores = new int[n]; var kinds = new string[n]; var statuses = new string[n];
        var fingerprints = new string[n]; var eventIds = new Guid[n]; var types = new string[n];
        var times = new DateTimeOffset[n]; var dates = new DateOnly[n]; var outcomes = new byte[n][]; var payloads = new byte[n][];
        var sequences = new long[n];
        var returns = new List<(Guid TransactionId, int StoreId, long Sequence)>();
        var rows = new HistoryRows();
        var i = 0;
        foreach (var (storeId, entries) in batches)
        {
            foreach (var e in entries)
            {
                var o = e.Outcome;
                ids[i] = e.TransactionId; stores[i] = storeId; kinds[i] = WireNames.Of(o.Kind);
                statuses[i] = o.Accepted ? "accepted" : "refused"; fingerprints[i] = e.Fingerprint;
                eventIds[i] = o.EventId!.Value; types[i] = e.EventType; times[i] = o.RecordedAt.ToUniversalTime();
                dates[i] = e.LocalDate;
                outcomes[i] = OutcomeBytes(o);
                payloads[i] = e.EventJson;
                sequences[i] = e.Sequence;
                if (e.CustomerPending) returns.Add((e.TransactionId, storeId, e.Sequence));
                rows.Add(storeId, e);
                i++;
            }
        }

        await using var batch = dataSource.CreateBatch();
        if (reservations.Count > 0)
        {
            // A retried reservation (same rental id) changes nothing.
            var reserve = new NpgsqlBatchCommand(
                """
                insert into rental_reservations (rental_id, customer_id, store_id, copies, started_at, due_date, reserved_at)
                select * from unnest($1::uuid[], $2::int[], $3::int[], $4::int[], $5::timestamptz[], $6::date[], $7::timestamptz[])
                on conflict (rental_id) do nothing
                """);
            reserve.Parameters.Add(new NpgsqlParameter { Value = reservations.Select(r => r.RentalId).ToArray() });
            reserve.Parameters.Add(new NpgsqlParameter { Value = reservations.Select(r => r.CustomerId).ToArray() });
            reserve.Parameters.Add(new NpgsqlParameter { Value = reservations.Select(r => r.StoreId).ToArray() });
            reserve.Parameters.Add(new NpgsqlParameter { Value = reservations.Select(r => r.Copies).ToArray() });
            reserve.Parameters.Add(new NpgsqlParameter { Value = reservations.Select(r => r.StartedAt.ToUniversalTime()).ToArray() });
            reserve.Parameters.Add(new NpgsqlParameter { Value = reservations.Select(r => r.DueDate).ToArray() });
            reserve.Parameters.Add(new NpgsqlParameter { Value = reservations.Select(r => r.ReservedAt.ToUniversalTime()).ToArray() });
            batch.BatchCommands.Add(reserve);
        }
        if (settled is { Count: > 0 })
        {
            var settle = new NpgsqlBatchCommand("delete from unsettled_returns where transaction_id = any($1)");
            settle.Parameters.Add(UuidArray(settled));
            batch.BatchCommands.Add(settle);
        }
        if (n == 0)
        {
            await batch.ExecuteNonQueryAsync(cancellationToken);
            return;
        }
        var ledger = new NpgsqlBatchCommand(
            """
            insert into ledger_transactions
                (transaction_id, store_id, kind, status, request_fingerprint, event_id, event_type, occurred_at, local_date, outcome,
                 event_payload, store_seq)
            select * from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[],
                                 $8::timestamptz[], $9::date[], $10::bytea[], $11::bytea[], $12::bigint[])
            """);
        ledger.Parameters.Add(new NpgsqlParameter { Value = ids });
        ledger.Parameters.Add(new NpgsqlParameter { Value = stores });
        ledger.Parameters.Add(new NpgsqlParameter { Value = kinds });
        ledger.Parameters.Add(new NpgsqlParameter { Value = statuses });
        ledger.Parameters.Add(new NpgsqlParameter { Value = fingerprints });
        ledger.Parameters.Add(new NpgsqlParameter { Value = eventIds });
        ledger.Parameters.Add(new NpgsqlParameter { Value = types });
        ledger.Parameters.Add(new NpgsqlParameter { Value = times });
        ledger.Parameters.Add(new NpgsqlParameter { Value = dates });
        ledger.Parameters.Add(new NpgsqlParameter { Value = outcomes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        ledger.Parameters.Add(new NpgsqlParameter { Value = payloads, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        ledger.Parameters.Add(new NpgsqlParameter { Value = sequences });
        batch.BatchCommands.Add(ledger);
        rows.AddTo(batch);
        if (returns.Count > 0)
        {
            var unsettled = new NpgsqlBatchCommand(
                "insert into unsettled_returns (transaction_id, store_id, store_seq) select * from unnest($1::uuid[], $2::int[], $3::bigint[])");
            unsettled.Parameters.Add(new NpgsqlParameter { Value = returns.Select(r => r.TransactionId).ToArray() });
            unsettled.Parameters.Add(new NpgsqlParameter { Value = returns.Select(r => r.StoreId).ToArray() });
            unsettled.Parameters.Add(new NpgsqlParameter { Value = returns.Select(r => r.Sequence).ToArray() });
            batch.BatchCommands.Add(unsettled);
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>
    /// A checkpoint rebuilt from the relational tables, for a store whose grain state is missing: <c>stock</c> and
    /// the open rentals are updated in the same database transaction as the journal, so read together (one
    /// snapshot) they are the store as of its last journal entry.
    /// </summary>
    public async Task<StoreState> LoadCheckpointFromTablesAsync(int storeId, IReadOnlyDictionary<int, ItemDetails> items, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(System.Data.IsolationLevel.RepeatableRead, cancellationToken);
        var stock = new Dictionary<int, StockEntry>();
        await using (var command = new NpgsqlCommand(
            "select item_id, copies_for_sale, rental_copies_owned, rental_copies_out from stock where store_id = $1", connection, tx))
        {
            command.Parameters.AddWithValue(storeId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) stock[reader.GetInt32(0)] = new StockEntry(reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3));
        }
        long sequence;
        await using (var command = new NpgsqlCommand("select greatest(coalesce(max(store_seq), 0), 0) from ledger_transactions where store_id = $1", connection, tx))
        {
            command.Parameters.AddWithValue(storeId);
            sequence = (long)(await command.ExecuteScalarAsync(cancellationToken))!;
        }
        var rentals = new Dictionary<Guid, OpenRentalEntry>();
        await using (var command = new NpgsqlCommand(
            """
            select r.rental_id, r.customer_id, r.started_at, r.local_date, r.due_date, l.item_id, l.quantity, l.daily_price
            from rentals r join rental_lines l using (rental_id)
            where r.store_id = $1 and r.status = 'open' order by r.rental_id, l.line_number
            """, connection, tx))
        {
            command.Parameters.AddWithValue(storeId);
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var rentalId = reader.GetGuid(0);
                var item = items.GetValueOrDefault(reader.GetInt32(5));
                var line = new RentalLineEntry(reader.GetInt32(5), reader.GetInt32(6), reader.GetDecimal(7),
                    item?.Title ?? "", item?.MediaType ?? MediaType.Book, item?.Genre ?? "");
                rentals[rentalId] = rentals.TryGetValue(rentalId, out var open)
                    ? open with { Lines = open.Lines.Add(line) }
                    : new OpenRentalEntry(rentalId, reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetFieldValue<DateOnly>(3),
                        reader.GetFieldValue<DateOnly>(4), [line], CustomerKey: null);
            }
        }
        await tx.CommitAsync(cancellationToken);
        return new StoreState { Initialized = true, Stock = stock, OpenRentals = rentals, Sequence = sequence };
    }

    public sealed record JournalRecord(long Sequence, string Fingerprint, TransactionOutcome Outcome);

    /// <summary>This store's journal after <paramref name="afterSequence"/>, in the order it was applied.</summary>
    public async Task<List<JournalRecord>> LoadJournalAsync(int storeId, long afterSequence, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            select store_seq, request_fingerprint, outcome from ledger_transactions
            where store_id = $1 and store_seq > $2 order by store_seq
            """);
        command.Parameters.AddWithValue(storeId);
        command.Parameters.AddWithValue(afterSequence);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var journal = new List<JournalRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            journal.Add(new JournalRecord(reader.GetInt64(0), reader.GetString(1),
                ReadOutcome(reader.GetFieldValue<byte[]>(2))));
        }
        return journal;
    }

    /// <summary>Accepted returns of this store whose customer account has not been told yet.</summary>
    public async Task<List<Receipt>> LoadCustomerPendingAsync(int storeId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            select l.outcome from unsettled_returns u join ledger_transactions l using (transaction_id)
            where u.store_id = $1 order by u.store_seq
            """);
        command.Parameters.AddWithValue(storeId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var receipts = new List<Receipt>();
        while (await reader.ReadAsync(cancellationToken))
        {
            receipts.Add(ReadOutcome(reader.GetFieldValue<byte[]>(0)).Receipt!);
        }
        return receipts;
    }

    public async Task MarkCustomerSettledAsync(IReadOnlyCollection<Guid> transactionIds, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("delete from unsettled_returns where transaction_id = any($1)");
        command.Parameters.Add(UuidArray(transactionIds));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>A uuid[] parameter for "= any($n)" look-ups by id.</summary>
    private static NpgsqlParameter UuidArray(IReadOnlyCollection<Guid> ids) =>
        new() { Value = ids.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid };

    /// <summary>
    /// The detail rows of a batch of transactions, column by column, written with one <c>unnest</c> statement per
    /// table (not one statement per row): a batch of 500 transactions costs PostgreSQL a handful of statements.
    /// </summary>
    private sealed class HistoryRows
    {
        private readonly Columns _sales = new(), _saleLines = new(), _rentals = new(), _rentalLines = new(), _returns = new(),
            _lateFeePayments = new(), _payments = new(), _refusals = new();
        private readonly Dictionary<(int StoreId, int ItemId), (int Sale, int Out)> _stock = [];

        public void Add(int storeId, JournalEntry entry)
        {
            var outcome = entry.Outcome;
            if (outcome.Receipt is not { } r)
            {
                var refusal = outcome.Refusal!;
                _refusals.Row(entry.TransactionId, (int?)entry.EmployeeId, (int?)entry.CustomerId, WireNames.Of(outcome.Kind),
                    refusal.Code, refusal.Message, (int?)refusal.ItemId, outcome.RecordedAt.ToUniversalTime(), entry.LocalDate, (int?)storeId);
                return;
            }
            switch (r.Kind)
            {
                case TransactionKind.Sale:
                    _sales.Row(r.TransactionId, (int?)r.EmployeeId, (int?)r.CustomerId, r.OccurredAt.ToUniversalTime(), r.LocalDate, r.Total, (int?)storeId);
                    foreach (var l in r.Lines)
                    {
                        _saleLines.Row(r.TransactionId, (short)l.LineNumber, (int?)l.ItemId, (int?)l.Quantity, l.UnitPrice, l.Discount, l.LineTotal);
                        Stock(storeId, l.ItemId, sale: -l.Quantity, @out: 0);
                    }
                    break;
                case TransactionKind.Rental:
                    var terms = r.Rental!;
                    _rentals.Row(r.TransactionId, (int?)r.EmployeeId, r.CustomerId, r.OccurredAt.ToUniversalTime(), r.LocalDate, (short)terms.Days, terms.DueDate, r.Total, (int?)storeId);
                    foreach (var l in r.Lines)
                    {
                        _rentalLines.Row(r.TransactionId, (short)l.LineNumber, (int?)l.ItemId, (int?)l.Quantity, l.DailyPrice ?? 0m, l.UnitPrice, l.Discount, l.LineTotal);
                        Stock(storeId, l.ItemId, sale: 0, @out: l.Quantity);
                    }
                    break;
                case TransactionKind.Return:
                    var ret = r.Return!;
                    _returns.Row(r.TransactionId, ret.RentalId, (int?)r.EmployeeId, ret.ReturnedAt.ToUniversalTime(), r.LocalDate, (int?)ret.LateDays, ret.LateFee, ret.FeePaid, (int?)storeId);
                    foreach (var l in r.Lines) Stock(storeId, l.ItemId, sale: 0, @out: -l.Quantity);
                    break;
                case TransactionKind.LateFeePayment:
                    _lateFeePayments.Row(r.TransactionId, r.Return!.RentalId, (int?)r.EmployeeId, r.CustomerId, r.OccurredAt.ToUniversalTime(), r.LocalDate, r.Total, (int?)storeId);
                    break;
            }
            if (r.Payment is { } p)
            {
                _payments.Row(r.TransactionId, WireNames.Of(p.Method), (short)p.Installments, p.Amount);
            }
        }

        public void AddTo(NpgsqlBatch batch)
        {
            // Order matters: a rental before the return that closes it (both may be in one batch), everything before stock.
            _sales.AddTo(batch, """
                insert into sales (transaction_id, employee_id, customer_id, occurred_at, local_date, total, store_id)
                select * from unnest($1::uuid[], $2::int[], $3::int[], $4::timestamptz[], $5::date[], $6::numeric[], $7::int[])
                """);
            _saleLines.AddTo(batch, """
                insert into sale_lines (transaction_id, line_number, item_id, quantity, unit_price, discount, line_total)
                select * from unnest($1::uuid[], $2::smallint[], $3::int[], $4::int[], $5::numeric[], $6::numeric[], $7::numeric[])
                """);
            _rentals.AddTo(batch, """
                insert into rentals (rental_id, employee_id, customer_id, started_at, local_date, days, due_date, total, store_id)
                select * from unnest($1::uuid[], $2::int[], $3::int[], $4::timestamptz[], $5::date[], $6::smallint[], $7::date[], $8::numeric[], $9::int[])
                """);
            _rentals.AddTo(batch, """
                delete from rental_reservations where rental_id = any($1)
                """, columns: 1);
            _rentalLines.AddTo(batch, """
                insert into rental_lines (rental_id, line_number, item_id, quantity, daily_price, unit_price, discount, line_total)
                select * from unnest($1::uuid[], $2::smallint[], $3::int[], $4::int[], $5::numeric[], $6::numeric[], $7::numeric[], $8::numeric[])
                """);
            _returns.AddTo(batch, """
                with r as (
                    insert into returns (transaction_id, rental_id, employee_id, returned_at, local_date, late_days, late_fee, fee_paid, store_id)
                    select * from unnest($1::uuid[], $2::uuid[], $3::int[], $4::timestamptz[], $5::date[], $6::int[], $7::numeric[], $8::bool[], $9::int[])
                    returning rental_id, returned_at)
                -- By primary key, whatever the planner thinks of the CTE's size: a join was planned as a scan of all rentals.
                update rentals set status = 'closed', closed_at = (select r.returned_at from r where r.rental_id = rentals.rental_id)
                where rentals.rental_id = any (array(select rental_id from r))
                """);
            // After the returns: a return and the payment of its fee may be in one batch.
            _lateFeePayments.AddTo(batch, """
                with p as (
                    insert into late_fee_payments (transaction_id, rental_id, employee_id, customer_id, paid_at, local_date, amount, store_id)
                    select * from unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[], $5::timestamptz[], $6::date[], $7::numeric[], $8::int[])
                    returning rental_id)
                update returns set fee_paid = true where returns.rental_id = any (array(select rental_id from p))
                """);
            _payments.AddTo(batch, """
                insert into payments (transaction_id, method, installments, amount)
                select * from unnest($1::uuid[], $2::text[], $3::smallint[], $4::numeric[])
                """);
            _refusals.AddTo(batch, """
                insert into refused_transactions
                    (transaction_id, employee_id, customer_id, attempted_kind, code, message, item_id, occurred_at, local_date, store_id)
                select * from unnest($1::uuid[], $2::int[], $3::int[], $4::text[], $5::text[], $6::text[], $7::int[], $8::timestamptz[], $9::date[], $10::int[])
                """);
            if (_stock.Count > 0)
            {
                var command = new NpgsqlBatchCommand("""
                    update stock s
                       set copies_for_sale = s.copies_for_sale + d.sale, rental_copies_out = s.rental_copies_out + d.out, updated_at = now()
                      from unnest($1::int[], $2::int[], $3::int[], $4::int[]) d(store_id, item_id, sale, out)
                     where s.store_id = d.store_id and s.item_id = d.item_id
                    """);
                command.Parameters.Add(new NpgsqlParameter { Value = _stock.Keys.Select(k => k.StoreId).ToArray() });
                command.Parameters.Add(new NpgsqlParameter { Value = _stock.Keys.Select(k => k.ItemId).ToArray() });
                command.Parameters.Add(new NpgsqlParameter { Value = _stock.Values.Select(v => v.Sale).ToArray() });
                command.Parameters.Add(new NpgsqlParameter { Value = _stock.Values.Select(v => v.Out).ToArray() });
                batch.BatchCommands.Add(command);
            }
        }

        private void Stock(int storeId, int itemId, int sale, int @out)
        {
            var current = _stock.GetValueOrDefault((storeId, itemId));
            _stock[(storeId, itemId)] = (current.Sale + sale, current.Out + @out);
        }
    }

    /// <summary>Values of one table, collected row by row and handed to PostgreSQL as one typed array per column.</summary>
    private sealed class Columns
    {
        private readonly List<List<object?>> _columns = [];
        private int _rows;

        public void Row(params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                if (_columns.Count <= i) _columns.Add([]);
                _columns[i].Add(values[i]);
            }
            _rows++;
        }

        /// <summary>One statement over the collected rows; <paramref name="columns"/> limits it to the first ones.</summary>
        public void AddTo(NpgsqlBatch batch, string sql, int? columns = null)
        {
            if (_rows == 0) return;
            var command = new NpgsqlBatchCommand(sql);
            foreach (var column in _columns.Take(columns ?? _columns.Count)) command.Parameters.Add(new NpgsqlParameter { Value = ToArray(column) });
            batch.BatchCommands.Add(command);
        }

        // Integer columns are passed as int?[] (nullable ids such as a sale without customer); the others by their type.
        private static Array ToArray(List<object?> column) => column.FirstOrDefault(v => v is not null) switch
        {
            Guid => column.Cast<Guid>().ToArray(),
            short => column.Cast<short>().ToArray(),
            decimal => column.Cast<decimal>().ToArray(),
            bool => column.Cast<bool>().ToArray(),
            string => column.Cast<string>().ToArray(),
            DateTimeOffset => column.Cast<DateTimeOffset>().ToArray(),
            DateOnly => column.Cast<DateOnly>().ToArray(),
            _ => column.Select(v => (int?)v).ToArray(),
        };
    }
}
