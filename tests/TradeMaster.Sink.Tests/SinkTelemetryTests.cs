using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TradeMaster.Sink;
using TradeMaster.Testing;

namespace TradeMaster.Sink.Tests;

/// <summary>The sink service's own exporter (the sink host registers it; the embedded host has the gateway's).</summary>
public sealed class SinkTelemetryTests
{
    [Fact]
    public async Task SinkTelemetry_CollectorConfigured_ExportsDeliverySpansAndTheSinksMetricsOverOtlp()
    {
        await using var collector = await FakeOtlpCollector.StartAsync();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Configuration.AddInMemoryCollection(collector.ExporterSettings());
        builder.Services.AddSingleton<SinkMetrics>();
        builder.AddTradeMasterSinkTelemetry();

        await using (var app = builder.Build())
        {
            app.MapPost("/tm-telemetry-test", (SinkMetrics metrics) =>
            {
                metrics.Received("http");
                return Results.Ok();
            });
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
            (await client.PostAsync("/tm-telemetry-test", null)).EnsureSuccessStatusCode();
            await app.StopAsync();
        } // disposing the providers exports what they hold

        Assert.True(collector.Received("/v1/traces", "/tm-telemetry-test"), "the delivery's request span reached the collector");
        Assert.True(collector.Received("/v1/metrics", SinkMetrics.MeterName), "the sink's meter reached the collector");
    }
}
