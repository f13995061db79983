using Microsoft.Extensions.Logging;
using Npgsql;
using TradeMaster.Db.Migrations;
using TradeMaster.Db.Seed;

namespace TradeMaster.Db;

/// <summary>Brings a database to the current schema and, when asked, fills an empty one with seed data.</summary>
public static class DatabaseBootstrapper
{
    public static async Task PrepareAsync(
        NpgsqlDataSource dataSource, ILoggerFactory loggers, SeedOptions? seed, CancellationToken cancellationToken = default)
    {
        var runner = new MigrationRunner(dataSource, loggers.CreateLogger<MigrationRunner>());
        await runner.ApplyAsync(cancellationToken);
        if (seed is not null && await SeedDataWriter.WriteIfEmptyAsync(dataSource, SeedDataGenerator.Generate(seed), cancellationToken))
        {
            loggers.CreateLogger(typeof(DatabaseBootstrapper)).LogInformation(
                "Seeded {Stores} stores, {Employees} employees, {Customers} customers and {Items} items (seed {Seed}, stock ×{StockScale})",
                seed.Stores, seed.Employees, seed.Customers, seed.Items, seed.Seed, seed.StockScale);
        }
    }
}
