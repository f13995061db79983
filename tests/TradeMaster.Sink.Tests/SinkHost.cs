using System.Net.Http.Headers;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TradeMaster.Db.Seed;
using TradeMaster.Testing;

namespace TradeMaster.Sink.Tests;

/// <summary>A sink on real Kestrel (127.0.0.1, free port) composed exactly as the Host's Program.cs composes it.</summary>
internal sealed class SinkHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SinkHost(WebApplication app, Uri address, string lake)
    {
        _app = app;
        Address = address;
        Lake = lake;
        Http = new HttpClient { BaseAddress = address };
    }

    public Uri Address { get; }

    public string Lake { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static Task<string> CreateDatabaseAsync(string purpose) =>
        PostgresServer.CreateDatabaseAsync(purpose, new SeedOptions { Stores = 1, Employees = 2, Customers = 5, Items = 5 });

    public static async Task<SinkHost> StartAsync(string connectionString, string lake, IDictionary<string, string?>? settings = null,
        Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = "Testing" });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:TradeMaster"] = connectionString,
            ["Sink:LocalPath"] = lake,
            ["Sink:Batch:MaxEvents"] = "500",
            ["Sink:Batch:MaxAge"] = "00:00:00.050",
            ["Sink:InstanceId"] = "sink-tests",
        };
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>()) config[k] = v;
        builder.Configuration.AddInMemoryCollection(config);
        configure?.Invoke(builder.Services);
        builder.Services.AddTradeMasterSink(builder.Configuration);

        var app = builder.Build();
        app.UseCloudEvents();
        app.MapSubscribeHandler().RequireDaprAppToken();
        app.MapTradeMasterSink();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new SinkHost(app, new Uri(address), lake);
    }

    /// <summary>POSTs a message as a Dapr sidecar does (structured CloudEvent) and returns Dapr's status answer.</summary>
    public async Task<(int Status, string? DaprStatus)> PostDaprAsync(byte[] body, string contentType = "application/cloudevents+json", string? token = null)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/sink/dapr/transactions") { Content = content };
        if (token is not null) request.Headers.Add("dapr-api-token", token);
        using var response = await Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        string? status = null;
        if (response.IsSuccessStatusCode && text.Length > 0)
        {
            using var doc = JsonDocument.Parse(text);
            status = doc.RootElement.GetProperty("status").GetString();
        }
        return ((int)response.StatusCode, status);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Reads what the sink left in a local lake.</summary>
internal static class LakeFiles
{
    public static List<JsonElement> Rows(string lake, string area)
    {
        var root = Path.Combine(lake, area);
        if (!Directory.Exists(root)) return [];
        var rows = new List<JsonElement>();
        foreach (var file in Directory.EnumerateFiles(root, "*.ndjson", SearchOption.AllDirectories))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                if (line.Length == 0) continue;
                using var doc = JsonDocument.Parse(line);
                rows.Add(doc.RootElement.Clone());
            }
        }
        return rows;
    }

    public static List<JsonElement> Transactions(string lake) => Rows(lake, "transactions");

    public static List<JsonElement> Rejected(string lake) => Rows(lake, "rejected");

    public static int CountEvent(string lake, string eventId) =>
        Transactions(lake).Count(r => r.GetProperty("event_id").GetString() == eventId);

    public static string NewLake() => Path.Combine(Path.GetTempPath(), "tm-sink-tests", Guid.NewGuid().ToString("N"));

    public static IReadOnlyList<string> Codes(JsonElement rejection) =>
        [.. rejection.GetProperty("errors").EnumerateArray().Select(e => e.GetProperty("code").GetString()!).Distinct().Order()];
}
