using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TradeMaster.Db.Migrations;
using TradeMaster.Testing;

namespace TradeMaster.Db.Tests;

public sealed class MigrationTests
{
    [Fact]
    public async Task ApplyAsync_EmptyDatabase_AppliesEveryScriptThenNothingOnSecondRun()
    {
        var connectionString = await PostgresServer.CreateEmptyDatabaseAsync("migrate");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var runner = new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance);

        var first = await runner.ApplyAsync();
        var second = await runner.ApplyAsync();

        Assert.Equal(MigrationRunner.Embedded.Count, first.Count);
        Assert.Empty(second);
        await using var command = dataSource.CreateCommand("select count(*) from schema_migrations");
        Assert.Equal((long)MigrationRunner.Embedded.Count, (long)(await command.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task ApplyAsync_SeveralProcessesAtOnce_AppliesEachScriptExactlyOnce()
    {
        var connectionString = await PostgresServer.CreateEmptyDatabaseAsync("migrate_race");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync()));

        Assert.Equal(MigrationRunner.Embedded.Count, results.Sum(r => r.Count));
    }

    [Fact]
    public async Task ApplyAsync_DatabaseInUseBeforeLateFeePayments_KeepsItsHistoryAndTakesPaymentsOncePerReturn()
    {
        // A database that ran every migration but 0019, with a return whose fee was left owed.
        var connectionString = await PostgresServer.CreateEmptyDatabaseAsync("migrate_populated");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await ExecAsync(dataSource, """
            create table schema_migrations (version text primary key, name text not null, checksum char(64) not null,
                                            applied_at timestamptz not null default now())
            """);
        foreach (var migration in MigrationRunner.Embedded.Where(m => m.Name != "late_fee_payments"))
        {
            await ExecAsync(dataSource, migration.Sql);
            await ExecAsync(dataSource, "insert into schema_migrations (version, name, checksum) values ($1, $2, $3)",
                migration.Version, migration.Name, migration.Checksum);
        }
        var (rentalId, returnId, paymentId) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        await ExecAsync(dataSource, """
            insert into ledger_transactions (transaction_id, store_id, kind, status, request_fingerprint, event_id, event_type,
                                             occurred_at, local_date, outcome, store_seq)
            values ($1, 1, 'rental', 'accepted', 'f1', gen_random_uuid(), 'com.trademaster.rental.started.v1', now(), current_date, '{}'::bytea, 1),
                   ($2, 1, 'return', 'accepted', 'f2', gen_random_uuid(), 'com.trademaster.rental.returned.v1', now(), current_date, '{}'::bytea, 2)
            """, rentalId, returnId);
        await ExecAsync(dataSource, """
            insert into rentals (rental_id, store_id, employee_id, customer_id, started_at, local_date, days, due_date, total, status, closed_at)
            values ($1, 1, 6, 7, now() - interval '5 days', current_date - 5, 1, current_date - 4, 5.90, 'closed', now())
            """, rentalId);
        await ExecAsync(dataSource, """
            insert into returns (transaction_id, rental_id, store_id, employee_id, returned_at, local_date, late_days, late_fee, fee_paid)
            values ($2, $1, 1, 6, now(), current_date, 4, 23.60, false)
            """, rentalId, returnId);

        var applied = await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync();

        Assert.Equal(["0019_late_fee_payments"], applied);
        Assert.Equal(2L, await ScalarAsync<long>(dataSource, "select count(*) from ledger_transactions"));
        Assert.False(await ScalarAsync<bool>(dataSource, "select fee_paid from returns where rental_id = $1", rentalId));
        // The new kind is accepted where the old check refused it; one payment per return, never of nothing.
        await ExecAsync(dataSource, """
            insert into ledger_transactions (transaction_id, store_id, kind, status, request_fingerprint, event_id, event_type,
                                             occurred_at, local_date, outcome, store_seq)
            values ($1, 1, 'late_fee_payment', 'accepted', 'f3', gen_random_uuid(), 'com.trademaster.late_fee.paid.v1', now(), current_date, '{}'::bytea, 3)
            """, paymentId);
        await ExecAsync(dataSource, """
            insert into late_fee_payments (transaction_id, rental_id, store_id, employee_id, customer_id, paid_at, local_date, amount)
            values ($1, $2, 1, 6, 7, now(), current_date, 23.60)
            """, paymentId, rentalId);
        var twice = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(dataSource, """
            insert into late_fee_payments (transaction_id, rental_id, store_id, employee_id, customer_id, paid_at, local_date, amount)
            values (gen_random_uuid(), $1, 1, 6, 7, now(), current_date, 23.60)
            """, rentalId));
        Assert.Equal(PostgresErrorCodes.UniqueViolation, twice.SqlState);
        var nothing = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(dataSource, """
            insert into late_fee_payments (transaction_id, rental_id, store_id, employee_id, customer_id, paid_at, local_date, amount)
            values (gen_random_uuid(), gen_random_uuid(), 1, 6, 7, now(), current_date, 0)
            """));
        Assert.Equal(PostgresErrorCodes.CheckViolation, nothing.SqlState);
        var refused = await Assert.ThrowsAsync<PostgresException>(() => ExecAsync(dataSource, """
            insert into ledger_transactions (transaction_id, store_id, kind, status, request_fingerprint, event_id, event_type,
                                             occurred_at, local_date, outcome, store_seq)
            values (gen_random_uuid(), 1, 'fee', 'accepted', 'f4', gen_random_uuid(), 'x', now(), current_date, '{}'::bytea, 4)
            """));
        Assert.Equal(PostgresErrorCodes.CheckViolation, refused.SqlState);
        // The payment's references are checked with the others': its return resolves, the master data (none here) does not.
        var broken = await ScalarAsync<string[]>(dataSource,
            "select array_agg(reference order by reference) from ledger_reference_violations where transaction_id = $1", paymentId);
        Assert.Equal(["late_fee_payments.customer_id", "late_fee_payments.employee_id", "ledger_transactions.store_id"], broken);
    }

    private static async Task ExecAsync(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters) command.Parameters.AddWithValue(parameter);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql, params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        foreach (var parameter in parameters) command.Parameters.AddWithValue(parameter);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public void Embedded_Scripts_AreOrderedAndUniquelyVersioned()
    {
        var versions = MigrationRunner.Embedded.Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(versions.OrderBy(v => v, StringComparer.Ordinal), versions);
        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.Contains(MigrationRunner.Embedded, m => m.Name == "ledger_history");
    }
}
