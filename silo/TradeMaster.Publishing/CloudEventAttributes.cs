using System.Text;
using System.Text.Json;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

/// <summary>
/// Reads the context attributes of a serialized (structured-mode) CloudEvent, for transports that carry them
/// outside the payload.
/// </summary>
public static class CloudEventAttributes
{
    /// <summary>The CloudEvents media type of a whole structured-mode event (what Dapr passes through unwrapped).</summary>
    public const string StructuredContentType = "application/cloudevents+json";

    public static string? TraceParentOf(OutgoingEvent @event)
    {
        using var doc = JsonDocument.Parse(@event.Json);
        return doc.RootElement.TryGetProperty("traceparent", out var tp) && tp.ValueKind == JsonValueKind.String ? tp.GetString() : null;
    }

    /// <summary>
    /// Maps an event to the binary content mode of the Google Cloud Pub/Sub protocol binding for CloudEvents:
    /// the message data is the event's <c>data</c> as-is, <c>datacontenttype</c> becomes the <c>content-type</c>
    /// attribute and every other attribute (extensions included) becomes a lower-case <c>ce-</c> attribute holding
    /// its canonical string form. This is also what Eventarc delivers, so a subscriber can filter on
    /// <c>attributes.ce-type</c> without opening the payload.
    /// </summary>
    public static PubSubOutgoingMessage ToPubSubBinaryMode(OutgoingEvent @event)
    {
        using var doc = JsonDocument.Parse(@event.Json);
        if (doc.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"Event {@event.Id} is not a structured-mode CloudEvent (JSON object).");
        }
        var attributes = new Dictionary<string, string>(StringComparer.Ordinal);
        byte[] data = [];
        foreach (var property in doc.RootElement.EnumerateObject())
        {
            var name = property.Name;
            var value = property.Value;
            switch (name)
            {
                case "data":
                    data = value.ValueKind == JsonValueKind.Null ? [] : Encoding.UTF8.GetBytes(value.GetRawText());
                    break;
                case "data_base64":
                    data = value.ValueKind == JsonValueKind.Null ? [] : value.GetBytesFromBase64();
                    break;
                case "datacontenttype":
                    if (value.ValueKind == JsonValueKind.String) attributes["content-type"] = value.GetString()!;
                    break;
                default:
                    var text = value.ValueKind switch
                    {
                        JsonValueKind.Null => null,
                        JsonValueKind.String => value.GetString(),
                        JsonValueKind.True or JsonValueKind.False or JsonValueKind.Number => value.GetRawText(),
                        _ => throw new FormatException($"CloudEvent attribute '{name}' of event {@event.Id} is not a scalar."),
                    };
                    if (text is not null) attributes["ce-" + name.ToLowerInvariant()] = text;
                    break;
            }
        }
        foreach (var required in (string[])["ce-id", "ce-source", "ce-specversion", "ce-type"])
        {
            if (!attributes.ContainsKey(required))
            {
                throw new FormatException($"Event {@event.Id} has no '{required[3..]}' attribute.");
            }
        }
        return new PubSubOutgoingMessage(data, attributes, @event.PartitionKey);
    }
}
