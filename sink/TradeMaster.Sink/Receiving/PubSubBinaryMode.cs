using System.Text.Json;

namespace TradeMaster.Sink.Receiving;

/// <summary>
/// The binary content mode of the CloudEvents Google Pub/Sub binding, which the silo's <c>pubsub</c> transport
/// publishes (docs/events.md): the message data is the event's <c>data</c>, <c>content-type</c> is
/// <c>datacontenttype</c> and every other attribute is a <c>ce-</c> attribute. The sink validates structured
/// envelopes, so a binary-mode message is put back together as one.
/// </summary>
internal static class PubSubBinaryMode
{
    /// <summary>True when the attributes carry a CloudEvent (<c>ce-specversion</c>), i.e. the data is only its <c>data</c>.</summary>
    public static bool IsBinaryMode(JsonElement attributes) =>
        attributes.ValueKind == JsonValueKind.Object && attributes.TryGetProperty("ce-specversion", out _);

    /// <summary>
    /// The structured-mode envelope of a binary-mode message. Data that is not JSON is kept as <c>data_base64</c>,
    /// so validation rejects it with its own reason instead of losing it.
    /// </summary>
    public static byte[] ToStructured(JsonElement attributes, byte[] data)
    {
        using var buffer = new MemoryStream(data.Length + 1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var attribute in attributes.EnumerateObject())
            {
                if (attribute.Value.ValueKind != JsonValueKind.String) continue;
                if (attribute.Name.StartsWith("ce-", StringComparison.Ordinal) && attribute.Name.Length > 3)
                {
                    writer.WriteString(attribute.Name[3..], attribute.Value.GetString());
                }
                else if (attribute.Name == "content-type")
                {
                    writer.WriteString("datacontenttype", attribute.Value.GetString());
                }
            }
            if (IsJson(data))
            {
                writer.WritePropertyName("data");
                writer.WriteRawValue(data, skipInputValidation: true);
            }
            else
            {
                writer.WriteBase64String("data_base64", data);
            }
            writer.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static bool IsJson(byte[] data)
    {
        if (data.Length == 0) return false;
        try
        {
            using var _ = JsonDocument.Parse(data);
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
