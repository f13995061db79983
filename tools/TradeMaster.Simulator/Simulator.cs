using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Simulation;

/// <summary>Drives the chain's realistic traffic against a gateway (and the sink, for the malformed events).</summary>
public static class Simulator
{
    public const string ApiKeyHeader = "X-Api-Key";
    public const string DaprApiTokenHeader = "dapr-api-token";

    /// <summary>
    /// Sends <see cref="SimulatorOptions.Transactions"/> transactions of the <see cref="TrafficMix"/> and answers what
    /// came of them. Cancellation stops sending and returns the summary of what completed so far.
    /// </summary>
    /// <param name="http">A client to send with (its base address is ignored); null = one made for the run.</param>
    public static async Task<SimulationSummary> RunAsync(SimulatorOptions options, HttpClient? http = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        using var mix = TrafficMix.ForSeed(options.Seed, options.MalformedShare, options.RunId);
        var ownClient = http is null;
        http ??= CreateClient(options.Concurrency);
        try
        {
            var tally = new SimulationTally();
            var run = new SimulationRun(options, mix, http, tally);
            var stopwatch = Stopwatch.StartNew();
            var work = run.RunAsync(cancellationToken);
            await ProgressDisplay.TrackAsync(options, tally, work);
            try
            {
                await work;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // A partial summary is more useful than an exception to whoever pressed Ctrl+C.
            }
            return tally.Snapshot(stopwatch.Elapsed);
        }
        finally
        {
            if (ownClient) http.Dispose();
        }
    }

    /// <summary>A keep-alive client sized for the concurrency; timeouts are per attempt, so the client has none.</summary>
    public static HttpClient CreateClient(int concurrency) =>
        new(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            MaxConnectionsPerServer = Math.Max(2, concurrency * 2),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>Builds the HTTP message of a request; a retry builds it again from the same request (same body).</summary>
    public static HttpRequestMessage CreateMessage(SimulatedRequest request, Uri gatewayUrl, Uri? sinkUrl = null, string? sinkAppToken = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var baseUrl = request.Target == TrafficTarget.Sink ? sinkUrl ?? gatewayUrl : gatewayUrl;
        var message = new HttpRequestMessage(request.Method, new Uri(baseUrl, request.Path));
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/problem+json"));
        if (request.ApiKey is not null) message.Headers.Add(ApiKeyHeader, request.ApiKey);
        if (request.Target == TrafficTarget.Sink && sinkAppToken is not null) message.Headers.Add(DaprApiTokenHeader, sinkAppToken);
        if (request.BodyJson is not null)
        {
            // Exactly the content type given, without a charset parameter: what Dapr and a till send.
            var content = new ByteArrayContent(Encoding.UTF8.GetBytes(request.BodyJson));
            content.Headers.ContentType = new MediaTypeHeaderValue(request.ContentType);
            message.Content = content;
        }
        return message;
    }

    private sealed class SimulationRun(SimulatorOptions options, TrafficMix mix, HttpClient http, SimulationTally tally)
    {
        private readonly Uri _gateway = options.GatewayUrl;
        private readonly Uri _sink = options.SinkUrl ?? options.GatewayUrl;

        public async Task RunAsync(CancellationToken cancellationToken)
        {
            using var slots = new SemaphoreSlim(options.Concurrency);
            var started = Stopwatch.GetTimestamp();
            try
            {
                for (var i = 0; i < options.Transactions; i++)
                {
                    if (options.Rate is { } rate)
                    {
                        // Open pacing: transaction i is due at i / rate, whatever the previous ones took.
                        var wait = TimeSpan.FromSeconds(i / rate) - Stopwatch.GetElapsedTime(started);
                        if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, cancellationToken);
                    }
                    await slots.WaitAsync(cancellationToken);
                    var request = mix.Next();
                    _ = RunOneAsync(request, slots, cancellationToken);
                }
            }
            finally
            {
                // Wait for the transactions in flight: they finish (or see the cancellation) and give their slot back.
                for (var i = 0; i < options.Concurrency; i++) await slots.WaitAsync(CancellationToken.None);
            }
        }

        private async Task RunOneAsync(SimulatedRequest request, SemaphoreSlim slots, CancellationToken cancellationToken)
        {
            try
            {
                switch (request.Kind)
                {
                    case TrafficKind.MalformedRequest:
                        await MalformedRequestAsync(request, cancellationToken);
                        break;
                    case TrafficKind.MalformedEvent:
                        await MalformedEventAsync(request, cancellationToken);
                        break;
                    default:
                        await TransactionAsync(request, cancellationToken);
                        break;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Stopped by the caller: neither a success nor a failure of the server.
            }
            catch (Exception e)
            {
                tally.Error("simulator_" + e.GetType().Name);
            }
            finally
            {
                slots.Release();
            }
        }

        private async Task TransactionAsync(SimulatedRequest request, CancellationToken cancellationToken)
        {
            if (request.CustomerLookupPath is { } lookupPath)
            {
                // The clerk types the customer's CPF first; the till gets the customer id from the API.
                tally.Lookup();
                var lookup = await SendAsync(request with { Method = HttpMethod.Get, Path = lookupPath, BodyJson = null }, cancellationToken);
                if (lookup.Failure is { } lookupFailure)
                {
                    tally.Error(lookupFailure);
                    mix.Report(request, 0);
                    return;
                }
                if (lookup.Status != 200)
                {
                    if (lookup.Status == 404) tally.Refused(lookup.Code ?? RefusalCodes.CustomerUnknown);
                    else
                    {
                        tally.Invalid(lookup.Code ?? $"http_{lookup.Status}");
                        tally.Unexpected("customer_lookup_" + (lookup.Code ?? $"http_{lookup.Status}"));
                    }
                    mix.Report(request, lookup.Status);
                    return;
                }
                if (lookup.Int("customerId") != request.CustomerId)
                {
                    // The server's master data is not the seed the simulator regenerated: stop rather than sell to a stranger.
                    tally.Unexpected("customer_lookup_mismatch");
                    tally.Error("seed_mismatch");
                    mix.Report(request, 0);
                    return;
                }
            }

            var answer = await SendAsync(request, cancellationToken);
            if (answer.Failure is { } failure)
            {
                tally.Error(failure);
                mix.Report(request, 0);
                return;
            }
            switch (answer.Status)
            {
                case 201:
                    tally.Accepted(KindName(request.Kind));
                    break;
                case 404 or 409 or 422:
                    tally.Refused(answer.Code ?? $"http_{answer.Status}");
                    break;
                case >= 400 and < 500:
                    // A well-formed request refused as malformed: the simulator and the gateway's contract disagree.
                    tally.Invalid(answer.Code ?? $"http_{answer.Status}");
                    tally.Unexpected("invalid_" + (answer.Code ?? $"http_{answer.Status}"));
                    break;
                default:
                    tally.Accepted(KindName(request.Kind));
                    tally.Unexpected($"status_{answer.Status}");
                    break;
            }
            mix.ReportAnswer(request, answer.Status, answer.Body);
        }

        private async Task MalformedRequestAsync(SimulatedRequest request, CancellationToken cancellationToken)
        {
            tally.MalformedRequestSent();
            var answer = await SendAsync(request, cancellationToken);
            if (answer.Failure is { } failure) tally.Error(failure);
            else if (answer.Status is >= 400 and < 500) tally.Invalid(answer.Code ?? $"http_{answer.Status}");
            else
            {
                tally.Accepted(request.Path.EndsWith("/rentals", StringComparison.Ordinal) ? "rental" : request.Method == HttpMethod.Get ? "lookup" : "sale");
                tally.Unexpected("malformed_accepted_" + request.Defect);
            }
        }

        private async Task MalformedEventAsync(SimulatedRequest request, CancellationToken cancellationToken)
        {
            var answer = await SendAsync(request, cancellationToken);
            if (answer.Failure is { } failure) tally.Error(failure);
            else if (answer.Status is 200 or 204) tally.MalformedEventDelivered();
            // The sink is not at this URL (404) or wants Dapr's app token (401): the event never reached the lake.
            else tally.Error($"sink_http_{answer.Status}");
        }

        /// <summary>Sends with retries on 5xx, timeouts, transport errors and Dapr's RETRY, always the same request.</summary>
        private async Task<Answer> SendAsync(SimulatedRequest request, CancellationToken cancellationToken)
        {
            var failure = "transport";
            for (var attempt = 1; ; attempt++)
            {
                using var message = CreateMessage(request, _gateway, _sink, options.SinkAppToken);
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(options.RequestTimeout);
                try
                {
                    using var response = await http.SendAsync(message, HttpCompletionOption.ResponseContentRead, timeout.Token);
                    var status = (int)response.StatusCode;
                    var body = await response.Content.ReadAsByteArrayAsync(timeout.Token);
                    var answer = new Answer(status, body, null);
                    if (status < 500 && !(request.Target == TrafficTarget.Sink && answer.String("status") == "RETRY")) return answer;
                    failure = status >= 500 ? $"http_{status}" : "sink_retry";
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    failure = "timeout";
                }
                catch (HttpRequestException)
                {
                    failure = "transport";
                }
                if (attempt >= options.MaxAttempts) return new Answer(0, [], failure);
                tally.Retry();
                var backoff = options.RetryDelay * Math.Pow(2, attempt - 1);
                await Task.Delay(backoff + backoff * (Random.Shared.NextDouble() * 0.3), cancellationToken);
            }
        }
    }

    private static string KindName(TrafficKind kind) => kind switch
    {
        TrafficKind.Sale => WireNames.Of(TransactionKind.Sale),
        TrafficKind.Rental => WireNames.Of(TransactionKind.Rental),
        TrafficKind.Return => WireNames.Of(TransactionKind.Return),
        TrafficKind.LateFeePayment => WireNames.Of(TransactionKind.LateFeePayment),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a transaction."),
    };

    /// <summary>An HTTP answer (or the reason there was none), with the few fields the simulator reads from it.</summary>
    private readonly record struct Answer(int Status, byte[] Body, string? Failure)
    {
        public string? Code => String("code");

        public string? String(string name) =>
            Read<string>(name, static e => e.ValueKind == JsonValueKind.String ? e.GetString() : null);

        public int? Int(string name) =>
            Read<int?>(name, static e => e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var n) ? n : (int?)null);

        private T? Read<T>(string name, Func<JsonElement, T?> read)
        {
            if (Body.Length == 0) return default;
            try
            {
                using var document = JsonDocument.Parse(Body);
                return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty(name, out var value)
                    ? read(value)
                    : default;
            }
            catch (JsonException)
            {
                return default;
            }
        }
    }
}
