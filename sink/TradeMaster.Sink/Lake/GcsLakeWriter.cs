using System.Net;
using System.Net.Http.Headers;
using Google.Apis.Auth.OAuth2;

namespace TradeMaster.Sink.Lake;

/// <summary>Supplies OAuth access tokens for Cloud Storage; null means "send no Authorization header" (emulator).</summary>
public interface IGcsAccessTokenSource
{
    Task<string?> GetTokenAsync(CancellationToken cancellationToken);
}

/// <summary>Application Default Credentials (GOOGLE_APPLICATION_CREDENTIALS, workload identity, gcloud) via Google.Apis.Auth.</summary>
public sealed class ApplicationDefaultTokenSource : IGcsAccessTokenSource
{
    private const string Scope = "https://www.googleapis.com/auth/devstorage.read_write";
    private readonly Lazy<Task<ITokenAccess>> _credential = new(async () =>
        (await GoogleCredential.GetApplicationDefaultAsync()).CreateScoped(Scope));

    public async Task<string?> GetTokenAsync(CancellationToken cancellationToken)
    {
        var credential = await _credential.Value.WaitAsync(cancellationToken);
        // The credential caches the token and refreshes it shortly before it expires.
        return await credential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
    }
}

/// <summary>The emulator needs no credentials.</summary>
public sealed class NoTokenSource : IGcsAccessTokenSource
{
    public Task<string?> GetTokenAsync(CancellationToken cancellationToken) => Task.FromResult<string?>(null);
}

/// <summary>Where and how the GCS writer talks.</summary>
/// <param name="BaseUri">https://storage.googleapis.com, or the emulator's http://host:port.</param>
public sealed record GcsWriterSettings(Uri BaseUri, string Bucket, string Prefix, int MaxAttempts, TimeSpan InitialBackoff, TimeSpan RequestTimeout)
{
    /// <summary>STORAGE_EMULATOR_HOST may be "host:port" or a URL.</summary>
    public static Uri ResolveBaseUri(string? emulatorHost) =>
        string.IsNullOrWhiteSpace(emulatorHost) ? new Uri("https://storage.googleapis.com")
        : emulatorHost.Contains("://", StringComparison.Ordinal) ? new Uri(emulatorHost.TrimEnd('/'))
        : new Uri("http://" + emulatorHost.TrimEnd('/'));
}

/// <summary>
/// The lake on Google Cloud Storage through the JSON API with a plain HttpClient: one media upload per object,
/// created with <c>ifGenerationMatch=0</c> so that a retried upload of the same deterministic name can never
/// overwrite or duplicate (GCS answers 412, which here means "already written"). 5xx, 429 and timeouts are
/// retried with exponential backoff and jitter; other errors fail the batch (the sink answers RETRY).
/// </summary>
public sealed class GcsLakeWriter(HttpClient http, GcsWriterSettings settings, IGcsAccessTokenSource tokens, TimeProvider time) : ILakeWriter
{
    private static readonly MediaTypeHeaderValue NdJson = new("application/x-ndjson");

    public string Name => "gcs";

    public string FullName(string objectName) =>
        string.IsNullOrEmpty(settings.Prefix) ? objectName : settings.Prefix.TrimEnd('/') + "/" + objectName;

    public async Task WriteAsync(string objectName, IReadOnlyList<ReadOnlyMemory<byte>> content, CancellationToken cancellationToken)
    {
        var uri = new Uri(settings.BaseUri,
            $"/upload/storage/v1/b/{Uri.EscapeDataString(settings.Bucket)}/o?uploadType=media&name={Uri.EscapeDataString(FullName(objectName))}&ifGenerationMatch=0");
        using var response = await SendWithRetriesAsync(() =>
        {
            var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = new SegmentsContent(content) };
            request.Content.Headers.ContentType = NdJson;
            return request;
        }, cancellationToken);
        if (response.IsSuccessStatusCode || response.StatusCode == HttpStatusCode.PreconditionFailed) return;
        throw new HttpRequestException($"GCS upload of {objectName} failed: {(int)response.StatusCode} {await ReadAsync(response, cancellationToken)}", null, response.StatusCode);
    }

    public async Task<bool> ExistsAsync(string objectName, CancellationToken cancellationToken)
    {
        var uri = new Uri(settings.BaseUri,
            $"/storage/v1/b/{Uri.EscapeDataString(settings.Bucket)}/o/{Uri.EscapeDataString(FullName(objectName))}?fields=name");
        using var response = await SendWithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, uri), cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return false;
        if (response.IsSuccessStatusCode) return true;
        throw new HttpRequestException($"GCS lookup of {objectName} failed: {(int)response.StatusCode}", null, response.StatusCode);
    }

    private async Task<HttpResponseMessage> SendWithRetriesAsync(Func<HttpRequestMessage> create, CancellationToken cancellationToken)
    {
        var backoff = settings.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            using var request = create();
            var token = await tokens.GetTokenAsync(cancellationToken);
            if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(settings.RequestTimeout);
            HttpResponseMessage? response = null;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead, timeout.Token);
                if (!IsTransient(response.StatusCode) || attempt >= settings.MaxAttempts) return response;
                response.Dispose();
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested && attempt < settings.MaxAttempts)
            {
                response?.Dispose();
            }
            // Full jitter keeps several sinks from retrying in lockstep against a struggling endpoint.
            var delay = TimeSpan.FromTicks((long)(backoff.Ticks * (0.5 + Random.Shared.NextDouble() / 2)));
            await Task.Delay(delay, time, cancellationToken);
            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(30).Ticks));
        }
    }

    private static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || (int)status >= 500;

    private static async Task<string> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return text.Length > 500 ? text[..500] : text;
    }
}

/// <summary>A request body made of the object's segments, sent one after another with a Content-Length: no copy into one buffer.</summary>
internal sealed class SegmentsContent(IReadOnlyList<ReadOnlyMemory<byte>> segments) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        foreach (var segment in segments) await stream.WriteAsync(segment, cancellationToken);
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        foreach (var segment in segments) length += segment.Length;
        return true;
    }
}
