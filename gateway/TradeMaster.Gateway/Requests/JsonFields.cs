using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using TradeMaster.Gateway.Problems;

namespace TradeMaster.Gateway.Requests;

/// <summary>
/// Typed access to one JSON object's fields that records every problem under the field's path instead of
/// throwing, so one answer can list all of them. Names match case-insensitively, like the API's deserializer;
/// a null value counts as absent.
/// </summary>
internal sealed partial class JsonFields(JsonElement element, string prefix, FieldErrors errors)
{
    public FieldErrors Errors => errors;

    public string PathOf(string name) => prefix.Length == 0 ? name : $"{prefix}.{name}";

    public bool Has(string name) => TryGet(name, out _);

    public int? Int(string name, bool required, int min, int max)
    {
        if (!Present(name, required, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Number)
        {
            errors.Add(PathOf(name), $"Must be an integer, not {JsonBody.Describe(value.ValueKind)}.");
            return null;
        }
        if (!value.TryGetInt64(out var number) || number < min || number > max)
        {
            errors.Add(PathOf(name), $"Must be an integer from {min} to {max}.");
            return null;
        }
        return (int)number;
    }

    public Guid? Uuid(string name, bool required)
    {
        if (!Present(name, required, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String || !Guid.TryParse(Text(value), out var id) || id == Guid.Empty)
        {
            errors.Add(PathOf(name), "Must be a UUID string such as \"0b7e4f5e-3c1a-4b8e-9a51-2f4c1d7e8a90\".");
            return null;
        }
        return id;
    }

    public string? String(string name, bool required)
    {
        if (!Present(name, required, out var value)) return null;
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(PathOf(name), $"Must be a string, not {JsonBody.Describe(value.ValueKind)}.");
            return null;
        }
        var text = Text(value);
        if (text is null) errors.Add(PathOf(name), "Is not valid UTF-8.");
        return text;
    }

    /// <summary>An ISO 8601 instant with an explicit offset: a local time without one would be ambiguous.</summary>
    public DateTimeOffset? Timestamp(string name, bool required)
    {
        if (!Present(name, required, out var value)) return null;
        var text = value.ValueKind == JsonValueKind.String ? Text(value) : null;
        if (text is null
            || !ExplicitOffset().IsMatch(text)
            || !DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out var at))
        {
            errors.Add(PathOf(name), "Must be an ISO 8601 date-time with an offset, such as \"2025-03-01T14:30:00-03:00\".");
            return null;
        }
        return at;
    }

    public JsonFields? Object(string name, bool required)
    {
        if (!Present(name, required, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(PathOf(name), $"Must be an object, not {JsonBody.Describe(value.ValueKind)}.");
            return null;
        }
        return new JsonFields(value, PathOf(name), errors);
    }

    public IReadOnlyList<JsonElement>? Array(string name, bool required, int minItems, int maxItems)
    {
        if (!Present(name, required, out var value)) return null;
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(PathOf(name), $"Must be an array, not {JsonBody.Describe(value.ValueKind)}.");
            return null;
        }
        var length = value.GetArrayLength();
        if (length < minItems || length > maxItems)
        {
            errors.Add(PathOf(name), $"Must have from {minItems} to {maxItems} entries (got {length}).");
            return null;
        }
        return [.. value.EnumerateArray()];
    }

    /// <summary>The string's value, or null when its bytes are not valid UTF-8 (the parser checks that only on read).</summary>
    private static string? Text(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private bool Present(string name, bool required, out JsonElement value)
    {
        if (TryGet(name, out value)) return true;
        if (required) errors.Add(PathOf(name), "Is required.");
        return false;
    }

    private bool TryGet(string name, out JsonElement value)
    {
        foreach (var property in element.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase)
                && property.Value.ValueKind != JsonValueKind.Null)
            {
                value = property.Value;
                return true;
            }
        }
        value = default;
        return false;
    }

    [GeneratedRegex(@"T.*(Z|z|[+-]\d{2}:?\d{2})$")]
    private static partial Regex ExplicitOffset();
}
