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
    public void Embedded_Scripts_AreOrderedAndUniquelyVersioned()
    {
        var versions = MigrationRunner.Embedded.Select(m => m.Version).ToList();
        Assert.NotEmpty(versions);
        Assert.Equal(versions.OrderBy(v => v, StringComparer.Ordinal), versions);
        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.Contains(MigrationRunner.Embedded, m => m.Name == "ledger_history");
    }
}
