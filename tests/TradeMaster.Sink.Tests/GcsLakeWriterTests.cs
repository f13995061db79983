using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using TradeMaster.Sink.Lake;

namespace TradeMaster.Sink.Tests;

/// <summary>
/// A fake Cloud Storage JSON API on Kestrel: checks every request the way GCS would (path, uploadType,
/// ifGenerationMatch=0, content type and length, bearer token) and can be told to fail the next requests.
/// </summary>
internal sealed class FakeGcs : IAsyncDisposable
{
    private readonly WebApplication _app;

    public ConcurrentDictionary<string, byte[]> Objects { get; } = new();

    public ConcurrentQueue<int> FailNext { get; } = new();

    public ConcurrentQueue<string> Requests { get; } = new();

    public ConcurrentQueue<string> Problems { get; } = new();

    public string? ExpectedToken { get; set; }

    public Uri Address { get; }

    private FakeGcs(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public static async Task<FakeGcs> StartAsync(string expectedBucket)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        FakeGcs? fake = null;
        app.MapPost("/upload/storage/v1/b/{bucket}/o", async (string bucket, HttpRequest request) =>
        {
            fake!.Requests.Enqueue($"POST {request.Path}{request.QueryString}");
            if (fake.FailNext.TryDequeue(out var status)) return Results.StatusCode(status);
            var problem = Check(bucket == expectedBucket, "bucket") ?? Check(request.Query["uploadType"] == "media", "uploadType=media")
                ?? Check(request.Query["ifGenerationMatch"] == "0", "ifGenerationMatch=0")
                ?? Check(request.ContentType == "application/x-ndjson", $"content type {request.ContentType}")
                ?? Check(request.ContentLength is not null, "a Content-Length (a simple upload declares its size)")
                ?? fake.CheckAuth(request) ?? Check(!string.IsNullOrEmpty(request.Query["name"]), "name");
            if (problem is not null)
            {
                fake.Problems.Enqueue(problem);
                return Results.BadRequest(problem);
            }
            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            if (body.Length != request.ContentLength)
            {
                fake.Problems.Enqueue($"Content-Length {request.ContentLength}, body {body.Length} bytes");
                return Results.BadRequest();
            }
            var name = request.Query["name"].ToString();
            if (!fake.Objects.TryAdd(name, body.ToArray())) return Results.StatusCode(StatusCodes.Status412PreconditionFailed);
            return Results.Json(new { bucket, name, generation = "1" });
        });
        app.MapGet("/storage/v1/b/{bucket}/o/{**name}", (string bucket, string name, HttpRequest request) =>
        {
            fake!.Requests.Enqueue($"GET {request.Path}");
            if ((Check(bucket == expectedBucket, "bucket") ?? fake.CheckAuth(request)) is { } problem) return Results.BadRequest(problem);
            return fake.Objects.ContainsKey(Uri.UnescapeDataString(name)) ? Results.Json(new { name }) : Results.NotFound();
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake = new FakeGcs(app, new Uri(address));
        return fake;
    }

    private string? CheckAuth(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return ExpectedToken is null
            ? Check(header.Length == 0, "no Authorization header against the emulator")
            : Check(header == $"Bearer {ExpectedToken}", $"Authorization 'Bearer {ExpectedToken}', got '{header}'");
    }

    private static string? Check(bool ok, string what) => ok ? null : $"expected {what}";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed class StaticToken(string token) : IGcsAccessTokenSource
{
    public Task<string?> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(token);
}

public sealed class GcsLakeWriterTests : IAsyncLifetime, IDisposable
{
    private const string Bucket = "tm-lake";
    private FakeGcs _gcs = null!;
    private readonly HttpClient _http = new();

    public async Task InitializeAsync() => _gcs = await FakeGcs.StartAsync(Bucket);

    public async Task DisposeAsync() => await _gcs.DisposeAsync();

    public void Dispose() => _http.Dispose();

    private GcsLakeWriter Writer(IGcsAccessTokenSource tokens, int maxAttempts = 6) =>
        new(_http, new GcsWriterSettings(_gcs.Address, Bucket, "lake", maxAttempts, TimeSpan.FromMilliseconds(5), TimeSpan.FromSeconds(10)), tokens, TimeProvider.System);

    private const string Name = "transactions/event_type=com.trademaster.sale.completed.v1/dt=2025-03-01/20250301T120000000Z-abc.ndjson";

    [Fact]
    public async Task WriteAsync_NewObject_UploadsMediaWithPreconditionBearerTokenAndNdjson()
    {
        _gcs.ExpectedToken = "ya29.test-token";
        var body = "{\"a\":1}\n{\"a\":2}\n"u8.ToArray();
        // Two segments, as the batcher passes rows: the upload is their concatenation, with its length declared.
        await Writer(new StaticToken("ya29.test-token")).WriteAsync(Name, [body.AsMemory(0, 8), body.AsMemory(8)], CancellationToken.None);
        Assert.Empty(_gcs.Problems);
        Assert.Equal(body, _gcs.Objects["lake/" + Name]);
        var request = Assert.Single(_gcs.Requests);
        Assert.Contains("name=lake%2Ftransactions%2Fevent_type%3Dcom.trademaster.sale.completed.v1%2Fdt%3D2025-03-01%2F", request, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WriteAsync_EmulatorMode_SendsNoAuthorizationHeader()
    {
        await Writer(new NoTokenSource()).WriteAsync(Name, ["x\n"u8.ToArray()], CancellationToken.None);
        Assert.Empty(_gcs.Problems);
        Assert.True(_gcs.Objects.ContainsKey("lake/" + Name));
    }

    [Theory]
    [InlineData(503, 500, 429)]
    [InlineData(502, 408)]
    public async Task WriteAsync_TransientFailures_RetriesUntilWritten(params int[] failures)
    {
        foreach (var f in failures) _gcs.FailNext.Enqueue(f);
        await Writer(new NoTokenSource()).WriteAsync(Name, ["x\n"u8.ToArray()], CancellationToken.None);
        Assert.True(_gcs.Objects.ContainsKey("lake/" + Name));
        Assert.Equal(failures.Length + 1, _gcs.Requests.Count);
    }

    [Fact]
    public async Task WriteAsync_ReuploadOfSameName_TreatsPreconditionFailedAsSuccessAndKeepsFirstContent()
    {
        var writer = Writer(new NoTokenSource());
        await writer.WriteAsync(Name, ["first\n"u8.ToArray()], CancellationToken.None);
        await writer.WriteAsync(Name, ["first\n"u8.ToArray()], CancellationToken.None);
        Assert.Equal("first\n"u8.ToArray(), _gcs.Objects["lake/" + Name]);
        Assert.Equal(2, _gcs.Requests.Count);
    }

    [Fact]
    public async Task WriteAsync_PermanentError_FailsWithoutRetrying()
    {
        _gcs.FailNext.Enqueue(403);
        await Assert.ThrowsAsync<HttpRequestException>(() => Writer(new NoTokenSource()).WriteAsync(Name, ["x\n"u8.ToArray()], CancellationToken.None));
        Assert.Single(_gcs.Requests);
    }

    [Fact]
    public async Task WriteAsync_StillFailingAfterMaxAttempts_Throws()
    {
        for (var i = 0; i < 3; i++) _gcs.FailNext.Enqueue(503);
        await Assert.ThrowsAsync<HttpRequestException>(() => Writer(new NoTokenSource(), maxAttempts: 3).WriteAsync(Name, ["x\n"u8.ToArray()], CancellationToken.None));
        Assert.Equal(3, _gcs.Requests.Count);
        Assert.Empty(_gcs.Objects);
    }

    [Fact]
    public async Task ExistsAsync_WrittenAndMissingObjects_AnswersTrueAndFalse()
    {
        var writer = Writer(new NoTokenSource());
        await writer.WriteAsync(Name, ["x\n"u8.ToArray()], CancellationToken.None);
        Assert.True(await writer.ExistsAsync(Name, CancellationToken.None));
        Assert.False(await writer.ExistsAsync(Name.Replace("abc", "def", StringComparison.Ordinal), CancellationToken.None));
    }

    [Fact]
    public async Task Sink_ConfiguredForGcsWithEmulatorHost_WritesBatchObjectsToTheBucket()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_gcs");
        var e = SampleEvents.Sale();
        await using (var sink = await SinkHost.StartAsync(db, LakeFiles.NewLake(), new Dictionary<string, string?>
        {
            ["Sink:Writer"] = "gcs",
            ["Sink:Gcs:Bucket"] = Bucket,
            ["STORAGE_EMULATOR_HOST"] = _gcs.Address.ToString(),
        }))
        {
            Assert.Equal("SUCCESS", (await sink.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        var (name, content) = Assert.Single(_gcs.Objects);
        Assert.StartsWith("lake/transactions/event_type=com.trademaster.sale.completed.v1/dt=2025-03-01/", name, StringComparison.Ordinal);
        Assert.EndsWith(".ndjson", name, StringComparison.Ordinal);
        Assert.Contains(e.Id(), System.Text.Encoding.UTF8.GetString(content), StringComparison.Ordinal);
        Assert.Empty(_gcs.Problems);
    }
}
