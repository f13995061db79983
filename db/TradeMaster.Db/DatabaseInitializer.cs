using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TradeMaster.Db.Seed;

namespace TradeMaster.Db;

/// <summary>
/// Applies the migrations (and, with <c>Ledger:SeedOnStart</c>, the seed data) before anything else starts:
/// registered ahead of Orleans, so the clustering and storage tables exist when the silo comes up.
/// </summary>
public sealed class DatabaseInitializer(NpgsqlDataSource dataSource, IConfiguration configuration, ILoggerFactory loggers) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var defaults = new SeedOptions();
        var seed = configuration.GetValue("Ledger:SeedOnStart", false)
            ? new SeedOptions
            {
                Seed = configuration.GetValue("Ledger:SeedNumber", defaults.Seed),
                StockScale = configuration.GetValue("Ledger:SeedStockScale", defaults.StockScale),
            }
            : null;
        await DatabaseBootstrapper.PrepareAsync(dataSource, loggers, seed, cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

public static class DatabaseInitializerExtensions
{
    /// <summary>Every service calls this; in one process the migrations still run once.</summary>
    public static IServiceCollection AddTradeMasterDatabaseInitializer(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddTradeMasterDatabase(configuration);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, DatabaseInitializer>());
        return services;
    }
}
