using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using TradeMaster.Db;

namespace TradeMaster.Gateway;

public static class OrleansClientExtensions
{
    /// <summary>
    /// The distributed mode's Orleans client: finds the silos through the PostgreSQL membership table
    /// (<c>Orleans:ClusteringMode=adonet</c>, default) or at the local gateway port (<c>localhost</c>), and keeps
    /// retrying the connection at start so the gateway may come up before the silo. Not for the embedded mode, where
    /// the co-hosted silo already provides the grain factory.
    /// </summary>
    public static IHostApplicationBuilder AddTradeMasterOrleansClient(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var clusterId = configuration["Orleans:ClusterId"] ?? "trademaster";
        var serviceId = configuration["Orleans:ServiceId"] ?? "trademaster";
        var clustering = configuration["Orleans:ClusteringMode"] ?? "adonet";

        // Configured in code only, from an empty IConfiguration: Orleans binds its own schema under "Orleans" and would
        // refuse to start on anything under "Orleans:Clustering" that is not one of its providers.
        builder.Services.AddOrleansClient(new ConfigurationBuilder().Build(), client =>
        {
            if (string.Equals(clustering, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                var gatewayPort = configuration.GetValue("Orleans:GatewayPort", 30000);
                client.UseLocalhostClustering(gatewayPort, serviceId, clusterId);
            }
            else
            {
                var connectionString = configuration.GetConnectionString(DatabaseServiceCollectionExtensions.ConnectionStringName)
                    ?? throw new InvalidOperationException(
                        $"ConnectionStrings:{DatabaseServiceCollectionExtensions.ConnectionStringName} is needed for ADO.NET clustering.");
                client.UseAdoNetClustering(options =>
                {
                    options.Invariant = "Npgsql";
                    options.ConnectionString = connectionString;
                });
                client.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = clusterId;
                    options.ServiceId = serviceId;
                });
            }
            client.AddActivityPropagation();
            client.UseConnectionRetryFilter(async (_, cancellationToken) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
                return true;
            });
        });
        return builder;
    }
}
