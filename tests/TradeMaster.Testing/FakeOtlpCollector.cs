using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace TradeMaster.Testing;

/// <summary>
/// An OTLP/HTTP receiver on 127.0.0.1 that keeps every export it is sent (<c>/v1/traces</c>, <c>/v1/metrics</c>, ...)
/// as raw protobuf: names an exporter sends (scopes, meters, attribute values) appear in it as UTF-8.
/// </summary>
public sealed class FakeOtlpCollector : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeOtlpCollector(WebApplication app) => _app = app;

    public ConcurrentQueue<(string Path, byte[] Body)> Exports { get; } = new();

    public string Endpoint => _app.Urls.Single();

    public static async Task<FakeOtlpCollector> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var collector = new FakeOtlpCollector(app);
        app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            collector.Exports.Enqueue((context.Request.Path.Value!, body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        return collector;
    }

    /// <summary>True when an export to <paramref name="path"/> carried <paramref name="text"/>.</summary>
    public bool Received(string path, string text)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        return Exports.Any(e => e.Path == path && e.Body.AsSpan().IndexOf(bytes) >= 0);
    }

    /// <summary>The settings that point a service's OpenTelemetry exporter here, over OTLP/HTTP.</summary>
    public Dictionary<string, string?> ExporterSettings() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
    };

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
