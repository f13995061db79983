using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace TradeMaster.Bench.Baselines;

/// <summary>
/// The HTTP floor: Kestrel on 127.0.0.1, one POST endpoint that parses the JSON body and answers 201 with a small
/// JSON document. No auth, no grain call, no database: what the gateway costs at the least.
/// </summary>
public sealed class BareKestrel : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BareKestrel(WebApplication app) => _app = app;

    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<BareKestrel> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/api/v1/stores/{storeId:int}/{collection}", async (int storeId, string collection, HttpRequest request) =>
        {
            using var document = await JsonDocument.ParseAsync(request.Body);
            var id = document.RootElement.TryGetProperty("transactionId", out var t) ? t.GetString() : null;
            return Results.Json(new BareAnswer(id, storeId, collection, DateTimeOffset.UtcNow), statusCode: StatusCodes.Status201Created);
        });
        await app.StartAsync();
        return new BareKestrel(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed record BareAnswer(string? TransactionId, int StoreId, string Collection, DateTimeOffset At);
}
