using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Storage;
using TradeMaster.Db;
using TradeMaster.Publishing;
using TradeMaster.Silo.History;
using TradeMaster.Silo.Ledger;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Hosting;

public static class SiloHostingExtensions
{
    /// <summary>
    /// Hosts the ledger: an Orleans silo with its grains, grain state in PostgreSQL (ADO.NET), clustering in
    /// PostgreSQL (or localhost for one process), the journal (history tables) and the configured publisher.
    /// </summary>
    public static IHostApplicationBuilder AddTradeMasterSilo(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var services = builder.Services;

        services.AddOptions<LedgerOptions>()
            .BindConfiguration(LedgerOptions.Section)
            .Validate(o => o.RentalLimit > 0 && o.MinRentalDays >= 1 && o.MaxRentalDays >= o.MinRentalDays && o.MaxQuantityPerLine > 0,
                "Ledger limits must be positive and MinRentalDays <= MaxRentalDays.")
            .Validate(o => { o.CustomerKeySecretBytes(); return true; }, "Ledger:CustomerKeySecret must be base64 of at least 32 bytes.")
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddTradeMasterDatabaseInitializer(configuration); // before UseOrleans: tables first, then the silo
        services.AddSingleton<MasterDataReader>();
        services.AddSingleton<MasterDataCache>();
        services.AddSingleton<LedgerHistory>();
        services.AddSingleton<JournalWriter>();
        services.AddTradeMasterPublishing(configuration);

        var connectionString = configuration.GetConnectionString(DatabaseServiceCollectionExtensions.ConnectionStringName)
            ?? throw new InvalidOperationException("ConnectionStrings:TradeMaster is not set (environment: ConnectionStrings__TradeMaster).");
        var orleans = configuration.GetSection("Orleans");
        var clusterId = orleans["ClusterId"] ?? "trademaster";
        var serviceId = orleans["ServiceId"] ?? "trademaster";
        var siloPort = orleans.GetValue("SiloPort", 11111);
        var gatewayPort = orleans.GetValue("GatewayPort", 30000);

        builder.UseOrleans(silo =>
        {
            if (string.Equals(orleans["ClusteringMode"], "localhost", StringComparison.OrdinalIgnoreCase))
            {
                silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: serviceId, clusterId: clusterId);
            }
            else
            {
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connectionString;
                });
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = serviceId;
                });
                var advertised = orleans["AdvertisedIP"] is { Length: > 0 } ip ? IPAddress.Parse(ip) : IPAddress.Loopback;
                silo.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: !IPAddress.IsLoopback(advertised));
            }
            silo.AddAdoNetGrainStorage(StorageNames.Ledger, o =>
            {
                o.Invariant = "Npgsql";
                o.ConnectionString = DatabaseServiceCollectionExtensions.Tuned(connectionString);
            });
            silo.AddActivityPropagation();
            if (configuration.GetValue("Dashboard:Enabled", true))
            {
                silo.AddDashboard();
            }
        });

        // Orleans' binary serializer instead of the providers' default (Newtonsoft JSON with $type): the state types
        // are [GenerateSerializer] with stable [Id]s, so it is version tolerant, and it is several times smaller and
        // faster to write — the store grain writes its state once per batch of transactions.
        services.AddOptions<AdoNetGrainStorageOptions>(StorageNames.Ledger)
            .Configure<IServiceProvider>((o, sp) => o.GrainStorageSerializer = new OrleansGrainStorageSerializer(sp.GetRequiredService<Orleans.Serialization.Serializer>()));

        services.AddHostedService<LedgerWarmup>();
        return builder;
    }
}
