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
            return new NpgsqlDataSourceBuilder(Tuned(connectionString)) { Name = "trademaster" }.Build();
        });
        return services;
    }

    /// <summary>
    /// Tunes a connection string for the ledger's traffic: automatic preparation unless it sets its own (the
    /// ledger sends the same few statements thousands of times a second, and a prepared statement skips
    /// PostgreSQL's parse and plan) and no session reset when a connection goes back to the pool (TradeMaster
    /// never changes session state, and the reset costs five statements per pooled use — measured with
    /// pg_stat_statements under load).
    /// </summary>
    public static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 64;
        builder.NoResetOnClose = true;
        return builder.ConnectionString;
    }
}
