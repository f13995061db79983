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
    /// pg_stat_statements under load), and generic plans for those prepared statements: left to choose, PostgreSQL
    /// kept planning a custom plan for every execution of the journal's <c>unnest</c> inserts (planning was 9% of the
    /// server's CPU in a profile at 1,200 tx/s, 0.1% with this setting; docs/performance-log.md).
    /// <para>
    /// And <c>random_page_cost</c> 1.1, the usual value for data on SSD or in memory, as the ledger's working set is:
    /// a connection keeps the generic plan it made at a statement's first execution, and with the default (4) a plan
    /// made while a table held a few pages, as on a fresh database, is a sequential scan. The look-up of transaction
    /// ids by primary key stayed one while the journal grew to hundreds of thousands of rows: 170 scans of it, 11
    /// million rows read, in 15 s at 1,500 tx/s (docs/performance-log.md). At 1.1 an index probe is the cheaper plan
    /// even on a table of ten pages.
    /// </para>
    /// </summary>
    public static string Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (builder.MaxAutoPrepare == 0) builder.MaxAutoPrepare = 64;
        builder.NoResetOnClose = true;
        SetUnlessGiven(builder, "plan_cache_mode", "force_generic_plan");
        SetUnlessGiven(builder, "random_page_cost", "1.1");
        return builder.ConnectionString;
    }

    /// <summary>Adds a server setting to the connection's options, unless the connection string sets it already.</summary>
    private static void SetUnlessGiven(NpgsqlConnectionStringBuilder builder, string setting, string value)
    {
        if (builder.Options?.Contains(setting, StringComparison.Ordinal) == true) return;
        builder.Options = $"{builder.Options} -c {setting}={value}".Trim();
    }
}
