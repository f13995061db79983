using System.Text.Json.Serialization;

namespace TradeMaster.Publishing;

/// <summary>A message to publish: raw data (sent base64), attributes and the ordering key.</summary>
public sealed record PubSubOutgoingMessage(
    [property: JsonPropertyName("data")] ReadOnlyMemory<byte> Data,
    [property: JsonPropertyName("attributes")] IReadOnlyDictionary<string, string> Attributes,
    [property: JsonPropertyName("orderingKey")] string? OrderingKey);

/// <summary>A message as Pub/Sub delivers it (REST <c>PubsubMessage</c>).</summary>
public sealed record PubSubMessage(
    [property: JsonPropertyName("data")] byte[]? Data,
    [property: JsonPropertyName("attributes")] IReadOnlyDictionary<string, string>? Attributes,
    [property: JsonPropertyName("messageId")] string MessageId,
    [property: JsonPropertyName("publishTime")] DateTimeOffset PublishTime,
    [property: JsonPropertyName("orderingKey")] string? OrderingKey);

public sealed record PubSubReceivedMessage(
    [property: JsonPropertyName("ackId")] string AckId,
    [property: JsonPropertyName("message")] PubSubMessage Message,
    [property: JsonPropertyName("deliveryAttempt")] int? DeliveryAttempt);

/// <summary>How a subscription delivers: pulled by the subscriber, or pushed to an HTTPS endpoint.</summary>
public sealed record PubSubSubscriptionSpec(
    string SubscriptionId,
    string TopicId,
    bool EnableMessageOrdering = true,
    int AckDeadlineSeconds = 60,
    Uri? PushEndpoint = null);

/// <summary>Pub/Sub answered with a non-success status; the publisher's caller retries.</summary>
public sealed class PubSubRequestException : Exception
{
    public PubSubRequestException(string message, System.Net.HttpStatusCode statusCode, string responseBody)
        : base($"{message}: {(int)statusCode} {statusCode}: {Truncate(responseBody)}")
    {
        StatusCode = statusCode;
        ResponseBody = responseBody;
    }

    public PubSubRequestException() : this("Pub/Sub request failed", System.Net.HttpStatusCode.InternalServerError, "") { }

    public PubSubRequestException(string message) : this(message, System.Net.HttpStatusCode.InternalServerError, "") { }

    public PubSubRequestException(string message, Exception innerException) : base(message, innerException) => ResponseBody = "";

    public System.Net.HttpStatusCode StatusCode { get; }

    public string ResponseBody { get; }

    private static string Truncate(string body) => body.Length <= 500 ? body : body[..500] + "…";
}
