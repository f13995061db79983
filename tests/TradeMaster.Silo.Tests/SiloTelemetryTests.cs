using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Trace;
using TradeMaster.Publishing;
using TradeMaster.Silo.Hosting;
using TradeMaster.Silo.Ledger;
using TradeMaster.Testing;

namespace TradeMaster.Silo.Tests;

/// <summary>The silo service's own exporter (the silo host registers it; the embedded host has the gateway's).</summary>
public sealed class SiloTelemetryTests
{
    [Fact]
    public async Task SiloTelemetry_CollectorConfigured_ExportsThePublishSpanAndTheLedgersMetricsOverOtlp()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration.AddInMemoryCollection(collector.ExporterSettings());
        builder.AddTradeMasterSiloTelemetry();

        using (var host = builder.Build())
        {
            await host.StartAsync();
            using (var span = PublishingTelemetry.Source.StartActivity("publish tm-telemetry-test"))
            {
                Assert.NotNull(span);
            }
            LedgerMetrics.Transactions.Add(1);
            await host.StopAsync();
        } // disposing the providers exports what they hold

        Assert.True(collector.Received("/v1/traces", "publish tm-telemetry-test"), "the publish span reached the collector");
        Assert.True(collector.Received("/v1/metrics", "tm.ledger.transactions"), "the ledger's counter reached the collector");
    }

    [Fact]
    public void SiloTelemetry_NoCollector_RegistersNothing()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"] = "";
        builder.AddTradeMasterSiloTelemetry();

        using var host = builder.Build();

        Assert.Null(host.Services.GetService<TracerProvider>());
    }
}
