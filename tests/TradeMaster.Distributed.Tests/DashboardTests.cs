using TradeMaster.Testing;
using Xunit.Abstractions;

namespace TradeMaster.Distributed.Tests;

/// <summary>The Orleans dashboard of a silo process, on its own loopback port, as a browser renders it.</summary>
[Collection(DistributedCollection.Name)]
public sealed class DashboardTests(PubSubEmulator emulator, ITestOutputHelper output)
{
    [Fact]
    public async Task Dashboard_SiloProcessAfterTraffic_RendersLedgerGrainTypesInHeadlessChromium()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("dashboard");
        await using var services = new DistributedServices(connectionString, output);
        DistributedCollection.UsePubSub(services, emulator, $"dashboard-{Guid.NewGuid():N}", createTopic: true);
        try
        {
            var silo = await services.StartSiloAsync("silo", dashboard: true);
            var gateway = await services.StartGatewayAsync();
            var plan = await StoreTraffic.PlanAsync(connectionString, 30, seed: 5);
            var results = await StoreTraffic.RunAsync(gateway.Http, plan, concurrency: 4, new(), TimeSpan.FromSeconds(60));
            Assert.Contains(results, r => r.Accepted && r.Planned.Kind == "rental"); // activates customer grains too

            // The Grains page lists every grain type with its activations (the overview only the busiest methods).
            var dashboard = new Uri(silo.Dashboard!, "#/grains");
            // The dashboard is a script page that polls the silo: give it virtual time to fetch and render.
            var dom = "";
            var domFile = Path.Combine(AppContext.BaseDirectory, "screenshots", "orleans-dashboard.html");
            Directory.CreateDirectory(Path.GetDirectoryName(domFile)!);
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    dom = await HeadlessChromium.DumpDomAsync(dashboard, TimeSpan.FromSeconds(10));
                    await File.WriteAllTextAsync(domFile, dom);
                    return dom.Contains(">StoreGrain<", StringComparison.Ordinal) && dom.Contains(">CustomerGrain<", StringComparison.Ordinal)
                        && dom.Contains("TradeMaster.Silo.Grains.StoreGrain", StringComparison.Ordinal)
                        && dom.Contains("TradeMaster.Silo.Grains.CustomerGrain", StringComparison.Ordinal);
                }, TimeSpan.FromSeconds(90), $"the dashboard at {dashboard} shows StoreGrain and CustomerGrain");
            }
            catch (TimeoutException e)
            {
                throw new TimeoutException($"{e.Message} Last DOM ({dom.Length} chars) in {domFile}:\n{dom[..Math.Min(dom.Length, 3000)]}", e);
            }

            var screenshot = Path.Combine(AppContext.BaseDirectory, "screenshots", "orleans-dashboard.png");
            await HeadlessChromium.ScreenshotAsync(dashboard, TimeSpan.FromSeconds(10), screenshot);
            output.WriteLine($"Screenshot: {screenshot}");
            Assert.True(new FileInfo(screenshot).Length > 20_000, "a rendered dashboard, not a blank page");

            // Dashboard:Port set: the silo's API port does not serve the dashboard.
            using var http = new HttpClient();
            using var onApiPort = await http.GetAsync(new Uri(silo.Http, "/dashboard/"));
            Assert.Equal(System.Net.HttpStatusCode.NotFound, onApiPort.StatusCode);
        }
        catch (Exception) when (services.PrintOutput())
        {
            throw;
        }
    }
}
