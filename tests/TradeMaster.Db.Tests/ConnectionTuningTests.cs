using Npgsql;
using TradeMaster.Testing;

namespace TradeMaster.Db.Tests;

public sealed class ConnectionTuningTests
{
    [Fact]
    public async Task Tuned_PlainConnectionString_SessionUsesGenericPlansAndAutoPrepare()
    {
        var connectionString = await PostgresServer.CreateEmptyDatabaseAsync("tuned");
        await using var dataSource = NpgsqlDataSource.Create(DatabaseServiceCollectionExtensions.Tuned(connectionString));

        await using var command = dataSource.CreateCommand("show plan_cache_mode");

        Assert.Equal("force_generic_plan", (string?)await command.ExecuteScalarAsync());
        var tuned = new NpgsqlConnectionStringBuilder(DatabaseServiceCollectionExtensions.Tuned(connectionString));
        Assert.True(tuned.MaxAutoPrepare > 0);
        Assert.True(tuned.NoResetOnClose);
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
