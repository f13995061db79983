using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.History;

public sealed record RememberedTransaction(int StoreId, string Fingerprint, TransactionOutcome Outcome);

/// <summary>
/// The relational history of the ledger (seed task 1): the outbox writes each transaction here exactly once
/// (keyed on the transaction id), and a retried request that the grain no longer remembers is answered from here.
/// </summary>
public sealed class LedgerHistory(NpgsqlDataSource dataSource)
{
    public static JsonSerializerOptions OutcomeJson { get; } = new(JsonSerializerDefaults.Web);

    public async Task<Dictionary<Guid, RememberedTransaction>> LookupAsync(IReadOnlyCollection<Guid> transactionIds, CancellationToken cancellationToken = default)
    {
        var found = new Dictionary<Guid, RememberedTransaction>();
        if (transactionIds.Count == 0) return found;
        await using var command = dataSource.CreateCommand(
            "select transaction_id, store_id, request_fingerprint, outcome from ledger_transactions where transaction_id = any($1)");
        command.Parameters.Add(new NpgsqlParameter { Value = transactionIds.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Uuid });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var outcome = JsonSerializer.Deserialize<TransactionOutcome>(reader.GetString(3), OutcomeJson)!;
            found[reader.GetGuid(0)] = new RememberedTransaction(reader.GetInt32(1), reader.GetString(2), outcome);
        }
        return found;
    }

    public async Task<bool> IsRentalClosedAsync(int storeId, Guid rentalId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("select status = 'closed' from rentals where rental_id = $1 and store_id = $2");
        command.Parameters.AddWithValue(rentalId);
        command.Parameters.AddWithValue(storeId);
        return await command.ExecuteScalarAsync(cancellationToken) is true;
    }

    /// <summary>Writes outbox entries in one database transaction; entries already written change nothing.</summary>
    public async Task WriteAsync(int storeId, IReadOnlyList<OutboxEntry> entries, CancellationToken cancellationToken = default)
    {
        if (entries.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);

        var inserted = new HashSet<Guid>();
        await using (var ledger = new NpgsqlCommand(
            """
            insert into ledger_transactions
                (transaction_id, store_id, kind, status, request_fingerprint, event_id, event_type, occurred_at, local_date, outcome)
            select * from unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::text[], $6::uuid[], $7::text[],
                                 $8::timestamptz[], $9::date[], $10::jsonb[])
            on conflict (transaction_id) do nothing
            returning transaction_id
            """, connection, tx))
        {
            var n = entries.Count;
            var ids = new Guid[n]; var stores = new int[n]; var kinds = new string[n]; var statuses = new string[n];
            var fingerprints = new string[n]; var eventIds = new Guid[n]; var types = new string[n];
            var times = new DateTimeOffset[n]; var dates = new DateOnly[n]; var outcomes = new string[n];
            for (var i = 0; i < n; i++)
            {
                var e = entries[i];
                var o = e.Outcome;
                ids[i] = e.TransactionId; stores[i] = storeId; kinds[i] = WireNames.Of(o.Kind);
                statuses[i] = o.Accepted ? "accepted" : "refused"; fingerprints[i] = e.Fingerprint;
                eventIds[i] = o.EventId!.Value; types[i] = e.EventType; times[i] = o.RecordedAt.ToUniversalTime();
                dates[i] = e.LocalDate;
                outcomes[i] = JsonSerializer.Serialize(o, OutcomeJson);
            }
            ledger.Parameters.Add(new NpgsqlParameter { Value = ids });
            ledger.Parameters.Add(new NpgsqlParameter { Value = stores });
            ledger.Parameters.Add(new NpgsqlParameter { Value = kinds });
            ledger.Parameters.Add(new NpgsqlParameter { Value = statuses });
            ledger.Parameters.Add(new NpgsqlParameter { Value = fingerprints });
            ledger.Parameters.Add(new NpgsqlParameter { Value = eventIds });
            ledger.Parameters.Add(new NpgsqlParameter { Value = types });
            ledger.Parameters.Add(new NpgsqlParameter { Value = times });
            ledger.Parameters.Add(new NpgsqlParameter { Value = dates });
            ledger.Parameters.Add(new NpgsqlParameter { Value = outcomes, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
            await using var reader = await ledger.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) inserted.Add(reader.GetGuid(0));
        }

        if (inserted.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            foreach (var entry in entries)
            {
                if (inserted.Contains(entry.TransactionId)) AddDetails(batch, storeId, entry);
            }
            if (batch.BatchCommands.Count > 0) await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }

    private static void AddDetails(NpgsqlBatch batch, int storeId, OutboxEntry entry)
    {
        var outcome = entry.Outcome;
        if (outcome.Receipt is not { } r)
        {
            var refusal = outcome.Refusal!;
            Add(batch,
                """
                insert into refused_transactions
                    (transaction_id, store_id, employee_id, customer_id, attempted_kind, code, message, item_id, occurred_at, local_date)
                values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """,
                entry.TransactionId, storeId, (object?)entry.EmployeeId, (object?)entry.CustomerId, WireNames.Of(outcome.Kind),
                refusal.Code, refusal.Message, (object?)refusal.ItemId, outcome.RecordedAt, entry.LocalDate);
            return;
        }

        switch (r.Kind)
        {
            case TransactionKind.Sale:
                Add(batch, "insert into sales (transaction_id, store_id, employee_id, customer_id, occurred_at, local_date, total) values ($1, $2, $3, $4, $5, $6, $7)",
                    r.TransactionId, storeId, r.EmployeeId, (object?)r.CustomerId, r.OccurredAt, r.LocalDate, r.Total);
                foreach (var l in r.Lines)
                {
                    Add(batch, "insert into sale_lines (transaction_id, line_number, item_id, quantity, unit_price, discount, line_total) values ($1, $2, $3, $4, $5, $6, $7)",
                        r.TransactionId, (short)l.LineNumber, l.ItemId, l.Quantity, l.UnitPrice, l.Discount, l.LineTotal);
                    Add(batch, "update stock set copies_for_sale = copies_for_sale - $3, updated_at = now() where store_id = $1 and item_id = $2",
                        storeId, l.ItemId, l.Quantity);
                }
                break;
            case TransactionKind.Rental:
                var terms = r.Rental!;
                Add(batch, "insert into rentals (rental_id, store_id, employee_id, customer_id, started_at, local_date, days, due_date, total) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    r.TransactionId, storeId, r.EmployeeId, r.CustomerId!.Value, r.OccurredAt, r.LocalDate, (short)terms.Days, terms.DueDate, r.Total);
                foreach (var l in r.Lines)
                {
                    Add(batch, "insert into rental_lines (rental_id, line_number, item_id, quantity, daily_price, unit_price, discount, line_total) values ($1, $2, $3, $4, $5, $6, $7, $8)",
                        r.TransactionId, (short)l.LineNumber, l.ItemId, l.Quantity, l.DailyPrice ?? 0m, l.UnitPrice, l.Discount, l.LineTotal);
                    Add(batch, "update stock set rental_copies_out = rental_copies_out + $3, updated_at = now() where store_id = $1 and item_id = $2",
                        storeId, l.ItemId, l.Quantity);
                }
                break;
            case TransactionKind.Return:
                var ret = r.Return!;
                Add(batch, "insert into returns (transaction_id, rental_id, store_id, employee_id, returned_at, local_date, late_days, late_fee, fee_paid) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    r.TransactionId, ret.RentalId, storeId, r.EmployeeId, ret.ReturnedAt, r.LocalDate, ret.LateDays, ret.LateFee, ret.FeePaid);
                Add(batch, "update rentals set status = 'closed', closed_at = $2 where rental_id = $1", ret.RentalId, ret.ReturnedAt);
                foreach (var l in r.Lines)
                {
                    Add(batch, "update stock set rental_copies_out = rental_copies_out - $3, updated_at = now() where store_id = $1 and item_id = $2",
                        storeId, l.ItemId, l.Quantity);
                }
                break;
        }
        if (r.Payment is { } p)
        {
            Add(batch, "insert into payments (transaction_id, method, installments, amount) values ($1, $2, $3, $4)",
                r.TransactionId, WireNames.Of(p.Method), (short)p.Installments, p.Amount);
        }
    }

    private static void Add(NpgsqlBatch batch, string sql, params object?[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var raw in values)
        {
            // timestamptz takes UTC only; every instant the ledger records is an instant, whatever offset it came with.
            var value = raw is DateTimeOffset instant ? instant.ToUniversalTime() : raw;
            command.Parameters.Add(value is null ? new NpgsqlParameter { Value = DBNull.Value, NpgsqlDbType = NpgsqlDbType.Integer } : new NpgsqlParameter { Value = value });
        }
        batch.BatchCommands.Add(command);
    }
}
