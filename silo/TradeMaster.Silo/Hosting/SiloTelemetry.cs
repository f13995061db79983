using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.Hosting;

public static class SiloTelemetry
{
    /// <summary>
    /// The silo service's traces (grain calls as the silo runs them, the ledger's publishes, PostgreSQL commands) and
    /// metrics (Orleans', the ledger's), exported over OTLP where a collector is configured
    /// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), by the gateway's rule: without one nothing is registered. The embedded host
    /// does not call this: the gateway's registration there covers the same sources in the one process.
    /// </summary>
    public static IHostApplicationBuilder AddTradeMasterSiloTelemetry(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) return builder;
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddSource("Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "TradeMaster.*", "Npgsql"))
            .WithMetrics(metrics => metrics.AddMeter("Microsoft.Orleans", LedgerMetrics.MeterName))
            .UseOtlpExporter();
        return builder;
    }
}
