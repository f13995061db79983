using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using static TradeMaster.Gateway.Tests.Problems;

namespace TradeMaster.Gateway.Tests;

/// <summary>
/// The distributed mode's composition (what TradeMaster.Gateway.Host runs): a gateway process that is only an
/// Orleans client, finding the fixture's silo through the PostgreSQL membership table.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class DistributedGatewayTests(GatewayFixture fixture)
{
    [Fact]
    public async Task AddTradeMasterOrleansClient_AdoNetClustering_ServesGrainLookupsAndIsReady()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:TradeMaster"] = fixture.ConnectionString,
            ["Orleans:ClusteringMode"] = "adonet",
            ["Orleans:ClusterId"] = fixture.ClusterId,
            ["Orleans:ServiceId"] = fixture.ServiceId,
        });
        builder.AddTradeMasterOrleansClient();
        builder.AddTradeMasterGateway();
        await using var app = builder.Build();
        app.MapTradeMasterGateway();
        await app.StartAsync();
        try
        {
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            client.DefaultRequestHeaders.Add("X-Api-Key", SeedDataGenerator.DevApiKey(1, EmployeeRole.Clerk));

            var item = await JsonAsync(await client.GetAsync("/api/v1/items/1"));
            Assert.Equal(1, item.GetProperty("itemId").GetInt32());
            var stock = await JsonAsync(await client.GetAsync("/api/v1/stores/1/stock/1"));
            Assert.Equal(1, stock.GetProperty("storeId").GetInt32());
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/ready")).StatusCode);
        }
        finally
        {
            await app.StopAsync();
        }
    }
}
