using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Dapr;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Events;
using TradeMaster.Sink;
using TradeMaster.Sink.Receiving;
using TradeMaster.Sink.Transform;
using TradeMaster.Sink.Validation;

namespace Microsoft.AspNetCore.Builder;

public static class SinkEndpointRouteBuilderExtensions
{
    private const string DaprSuccess = """{"status":"SUCCESS"}""";
    private const string DaprRetry = """{"status":"RETRY"}""";

    /// <summary>
    /// Maps the sink's subscription endpoints: the Dapr topic route (pubsub <c>trademaster-pubsub</c>, topic
    /// <c>transactions</c>, dead-letter topic <c>transactions-deadletter</c>, app token enforced when APP_API_TOKEN
    /// is set) and the Google Pub/Sub push route (<c>?token=</c> Sink:PushToken; disabled while unset). The host
    /// also calls <c>app.UseCloudEvents()</c> and <c>app.MapSubscribeHandler().RequireDaprAppToken()</c>.
    /// </summary>
    public static IEndpointRouteBuilder MapTradeMasterSink(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPost(SinkRoutes.DaprTopic, HandleDaprAsync)
            .WithTopic(new TopicOptions
            {
                PubsubName = Messaging.PubSubName,
                Name = Messaging.TransactionsTopic,
                DeadLetterTopic = Messaging.DeadLetterTopic,
            })
            .RequireDaprAppToken()
            .WithName("SinkDaprTransactions")
            .ExcludeFromDescription();

        endpoints.MapPost(SinkRoutes.PubSubPush, HandlePushAsync)
            .WithName("SinkPubSubPush")
            .ExcludeFromDescription();
        return endpoints;
    }

    /// <summary>Requires Dapr's app API token (header dapr-api-token = APP_API_TOKEN) when one is configured.</summary>
    public static TBuilder RequireDaprAppToken<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        // A convention on the request delegate works for any endpoint, including MapSubscribeHandler's.
        builder.Add(endpoint =>
        {
            var inner = endpoint.RequestDelegate!;
            endpoint.RequestDelegate = context =>
            {
                var token = context.RequestServices.GetRequiredService<DaprAppToken>();
                if (token.IsSatisfiedBy(context.Request)) return inner(context);
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return Task.CompletedTask;
            };
        });
        return builder;
    }

    private static async Task<IResult> HandleDaprAsync(HttpContext context, SinkHandler handler, ILoggerFactory loggers)
    {
        var raw = context.Features.Get<RawCloudEventBody>();
        byte[] body;
        string? contentType;
        if (raw is not null)
        {
            (body, contentType) = (raw.Body, raw.ContentType);
        }
        else
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            (body, contentType) = (buffer.ToArray(), context.Request.ContentType);
        }
        try
        {
            await handler.HandleAsync(body, contentType, new MessageSource("dapr", Messaging.TransactionsTopic, null), context.RequestAborted);
            return Results.Text(DaprSuccess, "application/json");
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            // Our own I/O failed (database, lake): the message is fine, Dapr should deliver it again.
            loggers.CreateLogger("TradeMaster.Sink.Dapr").LogWarning(e, "Answering RETRY to Dapr");
            return Results.Text(DaprRetry, "application/json");
        }
    }

    private static async Task<IResult> HandlePushAsync(HttpContext context, SinkHandler handler, IOptions<SinkOptions> options, ILoggerFactory loggers)
    {
        var expected = options.Value.PushToken;
        if (string.IsNullOrEmpty(expected)) return Results.NotFound();
        var presented = context.Request.Query["token"].ToString();
        if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(expected)))
        {
            return Results.Unauthorized();
        }

        using var buffer = new MemoryStream();
        await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
        var body = buffer.ToArray();
        try
        {
            if (TryReadPushEnvelope(body, out var data, out var messageId, out var subscription, out var problem))
            {
                await handler.HandleAsync(data, null, new MessageSource("pubsub", subscription, messageId), context.RequestAborted);
            }
            else
            {
                await handler.RejectAsync(body, IsJson(body), [new ValidationError(ValidationCodes.PushEnvelopeInvalid, "$", problem!)],
                    new MessageSource("pubsub", subscription, messageId), context.RequestAborted);
            }
            return Results.NoContent();
        }
        catch (Exception e) when (!context.RequestAborted.IsCancellationRequested)
        {
            loggers.CreateLogger("TradeMaster.Sink.PubSub").LogWarning(e, "Answering 503 to Pub/Sub push");
            return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
        }
    }

    /// <summary>
    /// Reads {"message":{"data":base64,"attributes":{},"messageId":…},"subscription":…}. The data is a structured
    /// CloudEvent, or (binary mode, ce-* attributes) only the event's data, from which the envelope is rebuilt.
    /// </summary>
    private static bool TryReadPushEnvelope(byte[] body, out byte[] data, out string? messageId, out string? subscription, out string? problem)
    {
        data = [];
        messageId = null;
        subscription = null;
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (EventValidator.LoneSurrogateEscape(body) is var at and >= 0)
            {
                // Reading such a string (subscription, messageId, an attribute) would throw: 503 for ever.
                problem = $"The push body's \\u escape at byte {at} is half of a UTF-16 surrogate pair (I-JSON, RFC 7493 §2.1).";
                return false;
            }
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { problem = "The push body is not a JSON object."; return false; }
            if (root.TryGetProperty("subscription", out var s) && s.ValueKind == JsonValueKind.String) subscription = s.GetString();
            if (!root.TryGetProperty("message", out var message) || message.ValueKind != JsonValueKind.Object)
            {
                problem = "The push body has no message object.";
                return false;
            }
            if ((message.TryGetProperty("messageId", out var id) || message.TryGetProperty("message_id", out id)) && id.ValueKind == JsonValueKind.String)
            {
                messageId = id.GetString();
            }
            if (!message.TryGetProperty("data", out var encoded) || encoded.ValueKind != JsonValueKind.String)
            {
                problem = "The push message has no data.";
                return false;
            }
            if (!encoded.TryGetBytesFromBase64(out var decoded))
            {
                problem = "The push message's data is not base64.";
                return false;
            }
            // Binary mode (what the silo's pubsub transport sends): the envelope is in the ce-* attributes.
            data = message.TryGetProperty("attributes", out var attributes) && PubSubBinaryMode.IsBinaryMode(attributes)
                ? PubSubBinaryMode.ToStructured(attributes, decoded)
                : decoded;
            problem = null;
            return true;
        }
        catch (JsonException e)
        {
            problem = "The push body is not JSON: " + e.Message;
            return false;
        }
    }

    /// <summary>JSON that the rejection record can keep as a JSON value: parsed, and every string decodable.</summary>
    private static bool IsJson(byte[] body)
    {
        try
        {
            using var _ = JsonDocument.Parse(body);
            return EventValidator.LoneSurrogateEscape(body) < 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
