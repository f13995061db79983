using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Google.Apis.Auth.OAuth2;

namespace TradeMaster.Publishing;

/// <summary>
/// A thin client of the Google Cloud Pub/Sub REST API (v1): publish for the ledger, and the few admin and
/// subscriber calls that dev setups and tests need (create topic and subscription, pull, acknowledge).
/// Talks to the emulator at <c>http://{PUBSUB_EMULATOR_HOST}</c> without credentials, otherwise to Google with
/// an OAuth token from Application Default Credentials. One instance per process: it owns its HttpClient.
/// </summary>
public sealed class PubSubRestClient : IDisposable
{
    public const string Scope = "https://www.googleapis.com/auth/pubsub";
    public const string GoogleEndpoint = "https://pubsub.googleapis.com";

    /// <summary>Pub/Sub's limits for one publish request.</summary>
    public const int MaxMessagesPerRequest = 1000;
    public const int MaxRequestBytes = 10_000_000;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private readonly HttpClient _http;
    private readonly Func<CancellationToken, Task<string?>> _accessToken;

    private PubSubRestClient(Uri baseAddress, Func<CancellationToken, Task<string?>> accessToken, TimeSpan timeout)
    {
        // A pooled handler recycles connections, so DNS changes are honoured without one HttpClient per call.
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            BaseAddress = baseAddress,
            Timeout = timeout,
        };
        _accessToken = accessToken;
        ProjectId = "";
    }

    public string ProjectId { get; private init; }

    public Uri BaseAddress => _http.BaseAddress!;

    public bool IsEmulator { get; private init; }

    /// <summary>A client of the emulator listening at <paramref name="emulatorHost"/> (<c>host:port</c>).</summary>
    public static PubSubRestClient ForEmulator(string emulatorHost, string projectId, TimeSpan? timeout = null) =>
        new(new Uri($"http://{emulatorHost}/"), _ => Task.FromResult<string?>(null), timeout ?? TimeSpan.FromSeconds(30))
        {
            ProjectId = projectId,
            IsEmulator = true,
        };

    /// <summary>A client of Google Cloud using Application Default Credentials scoped to Pub/Sub.</summary>
    public static PubSubRestClient ForGoogle(string projectId, TimeSpan? timeout = null)
    {
        var credential = new Lazy<Task<ITokenAccess>>(async () =>
            (await GoogleCredential.GetApplicationDefaultAsync()).CreateScoped(Scope));
        return new PubSubRestClient(
            new Uri(GoogleEndpoint + "/"),
            async ct => await (await credential.Value).GetAccessTokenForRequestAsync(GoogleEndpoint, ct),
            timeout ?? TimeSpan.FromSeconds(60))
        {
            ProjectId = projectId,
        };
    }

    public static PubSubRestClient Create(PubSubPublishingOptions options) =>
        string.IsNullOrWhiteSpace(options.EmulatorHost)
            ? ForGoogle(options.ProjectId)
            : ForEmulator(options.EmulatorHost, options.ProjectId);

    public string TopicPath(string topicId) => $"projects/{ProjectId}/topics/{topicId}";

    public string SubscriptionPath(string subscriptionId) => $"projects/{ProjectId}/subscriptions/{subscriptionId}";

    /// <summary>
    /// Publishes messages in as many requests as Pub/Sub's limits need (1000 messages, 10 MB), in order.
    /// Pub/Sub wants one ordering key per request, so a change of key also starts a new request.
    /// Returns the message ids; throws on the first request Pub/Sub does not accept.
    /// </summary>
    public async Task<IReadOnlyList<string>> PublishAsync(string topicId, IReadOnlyList<PubSubOutgoingMessage> messages, CancellationToken cancellationToken)
    {
        var ids = new List<string>(messages.Count);
        foreach (var batch in Batches(messages))
        {
            using var request = await RequestAsync(HttpMethod.Post, $"v1/{TopicPath(topicId)}:publish", new PublishRequest(batch), cancellationToken);
            using var response = await _http.SendAsync(request, cancellationToken);
            await EnsureSuccessAsync(response, $"Publishing {batch.Count} message(s) to {TopicPath(topicId)}", cancellationToken);
            var body = await response.Content.ReadFromJsonAsync<PublishResponse>(Json, cancellationToken);
            if (body?.MessageIds is not { } published || published.Count != batch.Count)
            {
                throw new PubSubRequestException($"Pub/Sub acknowledged {body?.MessageIds?.Count ?? 0} of {batch.Count} messages", response.StatusCode, "");
            }
            ids.AddRange(published);
        }
        return ids;
    }

    /// <summary>Creates the topic; an existing one is fine. Returns true when it was created now.</summary>
    public async Task<bool> CreateTopicAsync(string topicId, CancellationToken cancellationToken)
    {
        using var request = await RequestAsync(HttpMethod.Put, $"v1/{TopicPath(topicId)}", new { }, cancellationToken);
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict) return false;
        await EnsureSuccessAsync(response, $"Creating topic {TopicPath(topicId)}", cancellationToken);
        return true;
    }

    /// <summary>Creates a pull or push subscription; an existing one is fine. Returns true when it was created now.</summary>
    public async Task<bool> CreateSubscriptionAsync(PubSubSubscriptionSpec spec, CancellationToken cancellationToken)
    {
        var body = new SubscriptionBody(
            TopicPath(spec.TopicId),
            spec.AckDeadlineSeconds,
            spec.EnableMessageOrdering,
            spec.PushEndpoint is null ? null : new PushConfig(spec.PushEndpoint.ToString()));
        using var request = await RequestAsync(HttpMethod.Put, $"v1/{SubscriptionPath(spec.SubscriptionId)}", body, cancellationToken);
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.Conflict) return false;
        await EnsureSuccessAsync(response, $"Creating subscription {SubscriptionPath(spec.SubscriptionId)}", cancellationToken);
        return true;
    }

    public async Task DeleteSubscriptionAsync(string subscriptionId, CancellationToken cancellationToken)
    {
        using var request = await RequestAsync(HttpMethod.Delete, $"v1/{SubscriptionPath(subscriptionId)}", null, cancellationToken);
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return;
        await EnsureSuccessAsync(response, $"Deleting subscription {SubscriptionPath(subscriptionId)}", cancellationToken);
    }

    public async Task DeleteTopicAsync(string topicId, CancellationToken cancellationToken)
    {
        using var request = await RequestAsync(HttpMethod.Delete, $"v1/{TopicPath(topicId)}", null, cancellationToken);
        using var response = await _http.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotFound) return;
        await EnsureSuccessAsync(response, $"Deleting topic {TopicPath(topicId)}", cancellationToken);
    }

    /// <summary>Pulls up to <paramref name="maxMessages"/>; returns what is there now (possibly nothing).</summary>
    public async Task<IReadOnlyList<PubSubReceivedMessage>> PullAsync(string subscriptionId, int maxMessages, CancellationToken cancellationToken)
    {
        using var request = await RequestAsync(HttpMethod.Post, $"v1/{SubscriptionPath(subscriptionId)}:pull",
            new PullRequest(maxMessages, ReturnImmediately: true), cancellationToken);
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"Pulling from {SubscriptionPath(subscriptionId)}", cancellationToken);
        var body = await response.Content.ReadFromJsonAsync<PullResponse>(Json, cancellationToken);
        return body?.ReceivedMessages ?? [];
    }

    public async Task AcknowledgeAsync(string subscriptionId, IReadOnlyList<string> ackIds, CancellationToken cancellationToken)
    {
        if (ackIds.Count == 0) return;
        using var request = await RequestAsync(HttpMethod.Post, $"v1/{SubscriptionPath(subscriptionId)}:acknowledge",
            new AcknowledgeRequest(ackIds), cancellationToken);
        using var response = await _http.SendAsync(request, cancellationToken);
        await EnsureSuccessAsync(response, $"Acknowledging on {SubscriptionPath(subscriptionId)}", cancellationToken);
    }

    public void Dispose() => _http.Dispose();

    internal static IEnumerable<IReadOnlyList<PubSubOutgoingMessage>> Batches(IReadOnlyList<PubSubOutgoingMessage> messages)
    {
        // Budget the JSON request, not the raw data: base64 grows data by 4/3 and each message has some framing.
        const int requestOverhead = 64;
        var batch = new List<PubSubOutgoingMessage>();
        long bytes = requestOverhead;
        foreach (var message in messages)
        {
            var size = EncodedSize(message);
            if (size + requestOverhead > MaxRequestBytes)
            {
                throw new ArgumentException($"A message of {size} encoded bytes exceeds Pub/Sub's request limit.", nameof(messages));
            }
            var keyChanged = batch.Count > 0 && !string.Equals(batch[^1].OrderingKey, message.OrderingKey, StringComparison.Ordinal);
            if (batch.Count == MaxMessagesPerRequest || bytes + size > MaxRequestBytes || keyChanged)
            {
                yield return batch;
                batch = [];
                bytes = requestOverhead;
            }
            batch.Add(message);
            bytes += size;
        }
        if (batch.Count > 0) yield return batch;
    }

    internal static long EncodedSize(PubSubOutgoingMessage message)
    {
        long size = 4 * ((message.Data.Length + 2) / 3) + 64 + (message.OrderingKey?.Length ?? 0);
        foreach (var (key, value) in message.Attributes)
        {
            size += System.Text.Encoding.UTF8.GetByteCount(key) + System.Text.Encoding.UTF8.GetByteCount(value) + 8;
        }
        return size;
    }

    private async Task<HttpRequestMessage> RequestAsync(HttpMethod method, string path, object? body, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(method, path);
        if (body is not null) request.Content = JsonContent.Create(body, body.GetType(), options: Json);
        var token = await _accessToken(cancellationToken);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static async Task EnsureSuccessAsync(HttpResponseMessage response, string what, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        throw new PubSubRequestException(what, response.StatusCode, body);
    }

    private sealed record PublishRequest([property: JsonPropertyName("messages")] IReadOnlyList<PubSubOutgoingMessage> Messages);

    private sealed record PublishResponse([property: JsonPropertyName("messageIds")] IReadOnlyList<string>? MessageIds);

    private sealed record PushConfig([property: JsonPropertyName("pushEndpoint")] string PushEndpoint);

    private sealed record SubscriptionBody(
        [property: JsonPropertyName("topic")] string Topic,
        [property: JsonPropertyName("ackDeadlineSeconds")] int AckDeadlineSeconds,
        [property: JsonPropertyName("enableMessageOrdering")] bool EnableMessageOrdering,
        [property: JsonPropertyName("pushConfig")] PushConfig? PushConfig);

    private sealed record PullRequest(
        [property: JsonPropertyName("maxMessages")] int MaxMessages,
        [property: JsonPropertyName("returnImmediately")] bool ReturnImmediately);

    private sealed record PullResponse([property: JsonPropertyName("receivedMessages")] IReadOnlyList<PubSubReceivedMessage>? ReceivedMessages);

    private sealed record AcknowledgeRequest([property: JsonPropertyName("ackIds")] IReadOnlyList<string> AckIds);
}
