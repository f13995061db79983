using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Sink.Transform;

/// <summary>
/// One line of {lake}/rejected/: <c>{eventId, receivedAt, source: {transport, topic, messageId}, errors, raw}</c>.
/// <c>raw</c> is the message exactly as received: a JSON value when it parsed (line breaks, which JSON treats as
/// whitespace, become spaces so the record stays one line), else a string.
/// </summary>
public static class RejectionRecord
{
    public static void Write(IBufferWriter<byte> output, ReadOnlySpan<byte> raw, bool rawIsJson, string? eventId,
        IReadOnlyList<ValidationError> errors, MessageSource source, DateTimeOffset receivedAt)
    {
        using (var w = new Utf8JsonWriter(output))
        {
            w.WriteStartObject();
            if (eventId is null) w.WriteNull("eventId"); else w.WriteString("eventId", eventId);
            w.WriteString("receivedAt", receivedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture));
            w.WriteStartObject("source");
            w.WriteString("transport", source.Transport);
            if (source.Topic is null) w.WriteNull("topic"); else w.WriteString("topic", source.Topic);
            if (source.MessageId is null) w.WriteNull("messageId"); else w.WriteString("messageId", source.MessageId);
            w.WriteEndObject();
            w.WriteStartArray("errors");
            foreach (var e in errors)
            {
                w.WriteStartObject();
                w.WriteString("code", e.Code);
                w.WriteString("path", e.Path);
                w.WriteString("message", e.Message);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WritePropertyName("raw");
            if (rawIsJson)
            {
                if (raw.IndexOfAny((byte)'\n', (byte)'\r') < 0)
                {
                    w.WriteRawValue(raw, skipInputValidation: true);
                }
                else
                {
                    var oneLine = raw.ToArray();
                    oneLine.AsSpan().Replace((byte)'\n', (byte)' ');
                    oneLine.AsSpan().Replace((byte)'\r', (byte)' ');
                    w.WriteRawValue(oneLine, skipInputValidation: true);
                }
            }
            else
            {
                w.WriteStringValue(Encoding.UTF8.GetString(raw));
            }
            w.WriteEndObject();
        }
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }
}
