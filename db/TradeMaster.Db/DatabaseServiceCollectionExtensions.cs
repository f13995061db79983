using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace TradeMaster.Db;

public static class DatabaseServiceCollectionExtensions
{
    public const string ConnectionStringName = "TradeMaster";

    /// <summary>
    /// Registers the one <see cref="NpgsqlDataSource"/> of the process. Safe to call from every service's
    /// AddXxx(): when silo, gateway and sink share a process they share the pool too.
    /// </summary>
    public static IServiceCollection AddTradeMasterDatabase(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ =>
        {
            var connectionString = configuration.GetConnectionString(ConnectionStringName)
                ?? throw new InvalidOperationException(
                    $"ConnectionStrings:{ConnectionStringName} is not set (environment: ConnectionStrings__{ConnectionStringName}).");
            return new NpgsqlDataSourceBuilder(connectionString) { Name = "trademaster" }.Build();
        });
        return services;
    }
}
