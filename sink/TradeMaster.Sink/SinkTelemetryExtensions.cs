using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TradeMaster.Sink;

// With the sink's other hosting extensions, in the namespace a host already imports.
namespace Microsoft.Extensions.Hosting;

public static class SinkTelemetryExtensions
{
    /// <summary>
    /// The sink service's traces (each delivery as a request, continuing the event's <c>traceparent</c>) and metrics
    /// (<see cref="SinkMetrics"/>, ASP.NET Core's), exported over OTLP where a collector is configured
    /// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>), by the gateway's rule: without one nothing is registered. The embedded
    /// host does not call this: the gateway's registration there covers the sink's meter in the one process.
    /// </summary>
    public static IHostApplicationBuilder AddTradeMasterSinkTelemetry(this IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) return builder;
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddAspNetCoreInstrumentation(options =>
                options.Filter = context => !context.Request.Path.StartsWithSegments("/healthz")))
            .WithMetrics(metrics => metrics.AddAspNetCoreInstrumentation().AddMeter(SinkMetrics.MeterName))
            .UseOtlpExporter();
        return builder;
    }
}
