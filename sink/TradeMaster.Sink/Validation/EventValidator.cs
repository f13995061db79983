using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Sink.Validation;

/// <summary>The outcome of validating one message: the parsed document (when it parsed) and every error found.</summary>
public sealed class ValidatedMessage : IDisposable
{
    internal ValidatedMessage(JsonDocument? document, string? eventId, string? eventType, List<ValidationError> errors)
    {
        Document = document;
        EventId = eventId;
        EventType = eventType;
        Errors = errors;
    }

    public JsonDocument? Document { get; }

    /// <summary>The CloudEvent id when the message had a readable one (also on rejections).</summary>
    public string? EventId { get; }

    public string? EventType { get; }

    public IReadOnlyList<ValidationError> Errors { get; }

    public bool IsValid => Errors.Count == 0;

    public void Dispose() => Document?.Dispose();
}

/// <summary>
/// Validates a message as the sink receives it: content type, JSON, CloudEvents envelope, known type and version,
/// the data's structure against the contract schema, the data rules, and personal data anywhere in it. Every
/// error is reported, not only the first; nothing here throws on bad input.
/// </summary>
public sealed class EventValidator
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 64 };

    private enum EnvelopeField { SpecVersion, Id, Source, Type, DataContentType, Time, Data, DataBase64 }

    private static readonly JsonFields<EnvelopeField> EnvelopeFields = new("specversion", "id", "source", "type", "datacontenttype", "time", "data", "data_base64");

    private static readonly Dictionary<string, string> KnownTypeRoots =
        EventTypes.All.ToDictionary(t => t[..t.LastIndexOf(".v", StringComparison.Ordinal)], t => t, StringComparer.Ordinal);

    // The known types as UTF-8, with the string each one is: a known type is read without making a string.
    private static readonly (byte[] Utf8, string Type)[] KnownTypes = [.. EventTypes.All.Select(t => (System.Text.Encoding.UTF8.GetBytes(t), t))];

    private readonly ContractSchemas _schemas;
    private readonly TransactionRules _rules;
    private readonly TimeProvider _time;

    public EventValidator(ContractSchemas schemas, IOptions<SinkOptions> options, TimeProvider time)
    {
        _schemas = schemas;
        _rules = new TransactionRules(options.Value.Validation);
        _time = time;
    }

    /// <param name="contentType">The transport's content type; null when the transport has none (in-process).</param>
    public ValidatedMessage Validate(ReadOnlyMemory<byte> body, string? contentType)
    {
        var errors = new List<ValidationError>();
        if (contentType is not null && !IsJsonContentType(contentType))
        {
            errors.Add(new ValidationError(ValidationCodes.ContentTypeUnsupported, "$",
                $"Content type '{contentType}' is not application/cloudevents+json or application/json."));
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, ParseOptions);
        }
        catch (JsonException e)
        {
            errors.Add(new ValidationError(ValidationCodes.JsonInvalid, "$", $"Not valid JSON: {e.Message}"));
            return new ValidatedMessage(null, null, null, errors);
        }
        if (LoneSurrogateEscape(body.Span) is var at and >= 0)
        {
            // The parser accepts "\uD800" alone, but no reader can decode it to text: every string read would throw.
            document.Dispose();
            errors.Add(new ValidationError(ValidationCodes.JsonInvalid, "$",
                $"Not valid JSON text: the \\u escape at byte {at} is half of a UTF-16 surrogate pair (I-JSON, RFC 7493 §2.1)."));
            return new ValidatedMessage(null, null, null, errors);
        }

        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            errors.Add(new ValidationError(ValidationCodes.EnvelopeNotObject, "$", $"A CloudEvent is a JSON object, not {root.ValueKind}."));
            return new ValidatedMessage(document, null, null, errors);
        }

        var envelope = new JsonSlots();
        EnvelopeFields.Read(root, ref envelope);
        var specVersion = envelope.Get(EnvelopeField.SpecVersion);
        if (IsRequiredString(specVersion, "specversion", errors) && !specVersion.ValueEquals("1.0"u8))
        {
            errors.Add(new ValidationError(ValidationCodes.SpecVersionUnsupported, "$.specversion", $"CloudEvents specversion '{specVersion.GetString()}' is not 1.0."));
        }
        var id = RequiredString(envelope.Get(EnvelopeField.Id), "id", errors);
        if (id is not null && !TransactionRules.IsCanonicalUuid(id))
        {
            errors.Add(new ValidationError(ValidationCodes.EventIdInvalid, "$.id", "TradeMaster event ids are UUIDs (8-4-4-4-12)."));
        }
        IsRequiredString(envelope.Get(EnvelopeField.Source), "source", errors);
        var typeElement = envelope.Get(EnvelopeField.Type);
        string? type = null;
        string? knownType = null;
        if (IsRequiredString(typeElement, "type", errors))
        {
            foreach (var (utf8, known) in KnownTypes)
            {
                if (typeElement.ValueEquals(utf8))
                {
                    type = knownType = known;
                    break;
                }
            }
            if (knownType is null)
            {
                type = typeElement.GetString()!;
                var versionAt = type.LastIndexOf(".v", StringComparison.Ordinal);
                var isOtherVersion = versionAt > 0 && KnownTypeRoots.ContainsKey(type[..versionAt]);
                errors.Add(isOtherVersion
                    ? new ValidationError(ValidationCodes.EventVersionUnsupported, "$.type", $"'{type}' is a version this sink does not know.")
                    : new ValidationError(ValidationCodes.EventTypeUnknown, "$.type", $"'{type}' is not a TradeMaster event type."));
            }
        }
        if (envelope.Get(EnvelopeField.DataContentType) is { ValueKind: not JsonValueKind.Undefined } dct
            && (dct.ValueKind != JsonValueKind.String || (!dct.ValueEquals("application/json"u8) && !IsPlainJson(dct.GetString()!))))
        {
            errors.Add(new ValidationError(ValidationCodes.DataContentTypeUnsupported, "$.datacontenttype", "Event data must be application/json."));
        }
        if (envelope.Get(EnvelopeField.Time) is { ValueKind: not JsonValueKind.Undefined } time
            && (time.ValueKind != JsonValueKind.String
                || (!CanonicalText.IsUtcTimestamp(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(time)[1..^1]) && !time.TryGetDateTimeOffset(out _))))
        {
            errors.Add(new ValidationError(ValidationCodes.EnvelopeFieldInvalid, "$.time", "time must be an RFC 3339 timestamp."));
        }
        var data = envelope.Get(EnvelopeField.Data);
        (JsonElement Value, bool MayHold)? prechecked = null;
        if (data.ValueKind == JsonValueKind.Undefined)
        {
            errors.Add(new ValidationError(ValidationCodes.EnvelopeFieldMissing, "$.data",
                envelope.Get(EnvelopeField.DataBase64).ValueKind != JsonValueKind.Undefined ? "Binary data (data_base64) is not accepted: data must be JSON." : "The CloudEvent has no data."));
        }
        else if (knownType is not null)
        {
            var schemaErrors = errors.Count;
            if (_schemas.Validate(knownType, data, errors, out var dataMayHold))
            {
                // The schema walk gave data the personal-data pre-check on the way: only the envelope around it is
                // left to scan.
                prechecked = (data, dataMayHold);
            }
            var ruleErrors = errors.Count;
            _rules.Check(knownType, data, _time.GetUtcNow(), errors);
            if (ruleErrors > schemaErrors && errors.Count > ruleErrors) DropOverlapped(errors, schemaErrors, ruleErrors);
        }

        PersonalData.Scan(body.Span, root, prechecked, "$", errors);
        return new ValidatedMessage(document, id, type, errors);
    }

    /// <summary>
    /// The byte offset of the first <c>\uXXXX</c> escape that is a lone surrogate (a high one not followed by an
    /// escaped low one, or a low one alone), or -1. Only strings hold backslashes in well-formed JSON.
    /// </summary>
    internal static int LoneSurrogateEscape(ReadOnlySpan<byte> json)
    {
        for (var i = json.IndexOf((byte)'\\'); i >= 0 && i + 1 < json.Length;)
        {
            if (json[i + 1] != (byte)'u' || !TryHex4(json[(i + 2)..], out var unit))
            {
                i = Next(json, i + 2);
                continue;
            }
            if (unit is >= 0xDC00 and <= 0xDFFF) return i;
            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (json.Length < i + 12 || json[i + 6] != (byte)'\\' || json[i + 7] != (byte)'u'
                    || !TryHex4(json[(i + 8)..], out var low) || low is < 0xDC00 or > 0xDFFF) return i;
                i = Next(json, i + 12);
                continue;
            }
            i = Next(json, i + 6);
        }
        return -1;

        static int Next(ReadOnlySpan<byte> json, int from) => from >= json.Length ? -1 : json[from..].IndexOf((byte)'\\') is var n and >= 0 ? from + n : -1;

        static bool TryHex4(ReadOnlySpan<byte> s, out int value)
        {
            value = 0;
            if (s.Length < 4) return false;
            for (var k = 0; k < 4; k++)
            {
                var h = s[k] switch
                {
                    >= (byte)'0' and <= (byte)'9' => s[k] - '0',
                    >= (byte)'a' and <= (byte)'f' => s[k] - 'a' + 10,
                    >= (byte)'A' and <= (byte)'F' => s[k] - 'A' + 10,
                    _ => -1,
                };
                if (h < 0) return false;
                value = value * 16 + h;
            }
            return true;
        }
    }

    /// <summary>
    /// A data rule names a problem more precisely than the schema keyword it overlaps (quantity ≥ 1, currency
    /// enum, id minimum…): at a path where a rule spoke, the schema's generic range/enum/format error is dropped.
    /// The schema's errors are <c>errors[schemaErrors..ruleErrors]</c>, the rules' the rest.
    /// </summary>
    private static void DropOverlapped(List<ValidationError> errors, int schemaErrors, int ruleErrors)
    {
        var rulePaths = errors.Skip(ruleErrors).Select(r => r.Path).ToHashSet(StringComparer.Ordinal);
        for (var i = ruleErrors - 1; i >= schemaErrors; i--)
        {
            if (errors[i].Code is ValidationCodes.SchemaRange or ValidationCodes.SchemaEnum or ValidationCodes.SchemaFormat
                && rulePaths.Contains(errors[i].Path)) errors.RemoveAt(i);
        }
    }

    private static string? RequiredString(JsonElement value, string name, List<ValidationError> errors) =>
        IsRequiredString(value, name, errors) ? value.GetString() : null;

    /// <summary>Whether the attribute is a non-empty string; adds the error when it is not.</summary>
    private static bool IsRequiredString(JsonElement value, string name, List<ValidationError> errors)
    {
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            errors.Add(new ValidationError(ValidationCodes.EnvelopeFieldMissing, "$." + name, $"The CloudEvent attribute '{name}' is missing."));
            return false;
        }
        // A JSON string token is at least its two quotes: an empty one is exactly that.
        if (value.ValueKind != JsonValueKind.String || System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value).Length == 2)
        {
            errors.Add(new ValidationError(ValidationCodes.EnvelopeFieldInvalid, "$." + name, $"The CloudEvent attribute '{name}' must be a non-empty string."));
            return false;
        }
        return true;
    }

    private static bool IsJsonContentType(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && (parsed.MediaType.Equals("application/cloudevents+json", StringComparison.OrdinalIgnoreCase)
            || parsed.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase))
        && (!parsed.Charset.HasValue || parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase));

    private static bool IsPlainJson(string contentType) =>
        MediaTypeHeaderValue.TryParse(contentType, out var parsed)
        && parsed.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);
}
