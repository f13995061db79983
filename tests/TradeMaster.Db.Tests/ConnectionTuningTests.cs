using Npgsql;
using TradeMaster.Testing;

namespace TradeMaster.Db.Tests;

public sealed class ConnectionTuningTests
{
    [Fact]
    public async Task Tuned_PlainConnectionString_SessionUsesGenericPlansAutoPrepareAndSsdPageCost()
    {
        var connectionString = await PostgresServer.CreateEmptyDatabaseAsync("tuned");
        await using var dataSource = NpgsqlDataSource.Create(DatabaseServiceCollectionExtensions.Tuned(connectionString));

        await using var command = dataSource.CreateCommand("show plan_cache_mode");

        Assert.Equal("force_generic_plan", (string?)await command.ExecuteScalarAsync());
        await using var pageCost = dataSource.CreateCommand("show random_page_cost");
        Assert.Equal("1.1", (string?)await pageCost.ExecuteScalarAsync());
        var tuned = new NpgsqlConnectionStringBuilder(DatabaseServiceCollectionExtensions.Tuned(connectionString));
        Assert.True(tuned.MaxAutoPrepare > 0);
        Assert.True(tuned.NoResetOnClose);
    }

    [Fact]
    public async Task Tuned_LookupPlannedWhileTheTableWasEmpty_StaysAnIndexScanOnceTheTableIsLarge()
    {
        // The ledger's look-up of transaction ids by primary key, as prepared on a fresh database: the generic plan
        // is made at the first execution and kept by the connection. With the default random_page_cost (4) a plan
        // made while the table held a few pages is a sequential scan, and it stayed one while the table grew to
        // hundreds of thousands of rows (docs/performance-log.md).
        var connectionString = await PostgresServer.CreateEmptyDatabaseAsync("tuned_plan");
        await using var dataSource = NpgsqlDataSource.Create(DatabaseServiceCollectionExtensions.Tuned(connectionString));
        await using var connection = await dataSource.OpenConnectionAsync();
        await Execute(connection, """
            create table journal (transaction_id uuid primary key, store_id int not null, request_fingerprint text not null, outcome bytea not null);
            prepare lookup(uuid[]) as select transaction_id, store_id, request_fingerprint, outcome from journal where transaction_id = any($1);
            execute lookup(array[gen_random_uuid()]);
            insert into journal select gen_random_uuid(), 1, repeat('f', 43), convert_to(repeat('{"accepted":true}', 20), 'UTF8') from generate_series(1, 50000);
            """);

        await using var explain = new NpgsqlCommand("explain execute lookup(array[gen_random_uuid()])", connection);
        var plan = string.Join("\n", await ReadAll(explain));

        Assert.Contains("Index Scan using journal_pkey", plan);
        Assert.DoesNotContain("Seq Scan", plan);
    }

    private static async Task Execute(NpgsqlConnection connection, string sql)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<List<string>> ReadAll(NpgsqlCommand command)
    {
        var rows = new List<string>();
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) rows.Add(reader.GetString(0));
        return rows;
    }

    [Fact]
    public async Task Tuned_ConnectionStringWithItsOwnPlanCacheMode_KeepsIt()
    {
        var connectionString = await PostgresServer.CreateEmptyDatabaseAsync("tuned_own");
        var own = new NpgsqlConnectionStringBuilder(connectionString) { Options = "-c plan_cache_mode=force_custom_plan" }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(DatabaseServiceCollectionExtensions.Tuned(own));

        await using var command = dataSource.CreateCommand("show plan_cache_mode");

        Assert.Equal("force_custom_plan", (string?)await command.ExecuteScalarAsync());
    }
}
