using System.Text.Json;
using Newtonsoft.Json;
using Newtonsoft.Json.Linq;
using NJsonSchema;
using NJsonSchema.Validation;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Sink.Validation;

/// <summary>
/// The contract's JSON Schemas, read from the contracts assembly's embedded resources. NJsonSchema is the
/// structural authority; <see cref="FastSchema"/> gives the verdict on the hot path (see there why).
/// </summary>
public sealed class ContractSchemas
{
    private static readonly JsonSerializerSettings NewtonsoftSettings = new()
    {
        // Keep dates and money as written: the schema checks formats and multipleOf on the text, not on a
        // DateTime or a double that Newtonsoft would otherwise make of them.
        DateParseHandling = DateParseHandling.None,
        FloatParseHandling = FloatParseHandling.Decimal,
        MaxDepth = 64,
    };

    private readonly Dictionary<string, Entry> _byType = new(StringComparer.Ordinal);

    /// <param name="EmptyArrays">Property paths (from the data object) of the arrays the schema allows only empty.</param>
    private sealed record Entry(JsonSchema Authority, FastSchema? Fast, string[][] EmptyArrays);

    public ContractSchemas(bool fastPath = true)
    {
        var assembly = typeof(EventJson).Assembly;
        foreach (var type in EventTypes.All)
        {
            var resource = $"TradeMaster.Contracts.Schemas.{EventTypes.SchemaFileName(type)}";
            using var stream = assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The contracts assembly has no embedded schema {resource}.");
            using var reader = new StreamReader(stream);
            var text = reader.ReadToEnd();
            var authority = JsonSchema.FromJsonAsync(text).GetAwaiter().GetResult();
            using var doc = JsonDocument.Parse(text);
            FastSchema? fast = null;
            if (fastPath)
            {
                try
                {
                    fast = FastSchema.Compile(doc.RootElement);
                }
                catch (NotSupportedException)
                {
                    // A keyword the fast path does not know: NJsonSchema validates every event of this type.
                    fast = null;
                }
            }
            var emptyArrays = new List<string[]>();
            FindEmptyArrays(doc.RootElement, [], emptyArrays, resource);
            _byType[type] = new Entry(authority, fast, [.. emptyArrays]);
        }
    }

    public bool HasFastPath(string type) => _byType.TryGetValue(type, out var e) && e.Fast is not null;

    /// <summary>Adds the structural errors of <paramref name="data"/> (the CloudEvent's data) for a known type.</summary>
    /// <returns>
    /// Whether the fast path found the data valid, and so gave all of it the personal-data pre-check
    /// (<paramref name="mayHoldPersonalData"/> is then that verdict; see <see cref="FastSchema"/>).
    /// </returns>
    public bool Validate(string type, JsonElement data, List<ValidationError> errors, out bool mayHoldPersonalData)
    {
        var entry = _byType[type];
        mayHoldPersonalData = false;
        if (entry.Fast is not null && entry.Fast.IsValid(data, ref mayHoldPersonalData)) return true;
        mayHoldPersonalData = true;
        ValidateWithAuthority(entry, data, errors);
        return false;
    }

    /// <summary>NJsonSchema (with the sink's checks of what it gets wrong) alone, for tests that compare it with the fast path.</summary>
    internal bool IsValidByAuthority(string type, JsonElement data)
    {
        var errors = new List<ValidationError>();
        ValidateWithAuthority(_byType[type], data, errors);
        return errors.Count == 0;
    }

    internal bool? IsValidByFastPath(string type, JsonElement data) => _byType[type].Fast?.IsValid(data);

    private static void ValidateWithAuthority(Entry entry, JsonElement data, List<ValidationError> errors)
    {
        var token = JsonConvert.DeserializeObject<JToken>(data.GetRawText(), NewtonsoftSettings) ?? JValue.CreateNull();
        // NJsonSchema throws on an integer beyond 64 bits (Newtonsoft reads it as a BigInteger), which would make the
        // event fail forever instead of being rejected. No contract field is that large: report each such integer as
        // out of range and let the schema check the rest with the nearest 64-bit value in its place.
        var huge = new List<string>();
        var values = token is JContainer container ? container.DescendantsAndSelf().OfType<JValue>() : [(JValue)token];
        foreach (var value in values.Where(v => v.Value is System.Numerics.BigInteger).ToList())
        {
            huge.Add(ToPath("#/" + value.Path));
            var replacement = new JValue(((System.Numerics.BigInteger)value.Value!).Sign < 0 ? long.MinValue : long.MaxValue);
            if (ReferenceEquals(value, token)) token = replacement; else value.Replace(replacement);
        }
        var before = errors.Count;
        foreach (var error in entry.Authority.Validate(token)) Flatten(error, errors);
        foreach (var path in huge)
        {
            if (!errors.Skip(before).Any(e => e.Path == path)) errors.Add(new ValidationError(ValidationCodes.SchemaRange, path, "Integer beyond 64 bits."));
        }
        // NJsonSchema reads maxItems into an int whose 0 means "no limit", so it accepts any array where the contract
        // says "always empty" (a late fee payment's lines): that one bound is checked here.
        foreach (var names in entry.EmptyArrays)
        {
            var node = names.Aggregate<string, JToken?>(token, (t, name) => t is JObject o ? o[name] : null);
            if (node is JArray { Count: > 0 }) errors.Add(new ValidationError(ValidationCodes.SchemaRange, ToPath("#/" + string.Join('.', names)), "Value out of range (TooManyItems)."));
        }
    }

    /// <summary>
    /// Collects the property paths of <c>"maxItems": 0</c>. Only a chain of properties from the data object is
    /// supported (it is where the contract uses it); anywhere else the bound could not be checked after NJsonSchema,
    /// so the schema is refused at startup rather than half enforced.
    /// </summary>
    private static void FindEmptyArrays(JsonElement node, string[]? path, List<string[]> found, string resource)
    {
        if (node.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in node.EnumerateArray()) FindEmptyArrays(item, null, found, resource);
            return;
        }
        if (node.ValueKind != JsonValueKind.Object) return;
        foreach (var keyword in node.EnumerateObject())
        {
            if (keyword.NameEquals("maxItems") && keyword.Value.ValueKind == JsonValueKind.Number && keyword.Value.GetDecimal() == 0)
            {
                if (path is null) throw new InvalidOperationException($"{resource}: maxItems 0 is only supported on a property path from the data object.");
                found.Add(path);
            }
            else if (keyword.NameEquals("properties") && keyword.Value.ValueKind == JsonValueKind.Object && path is not null)
            {
                foreach (var property in keyword.Value.EnumerateObject()) FindEmptyArrays(property.Value, [.. path, property.Name], found, resource);
            }
            else
            {
                FindEmptyArrays(keyword.Value, null, found, resource);
            }
        }
    }

    private static void Flatten(NJsonSchema.Validation.ValidationError error, List<ValidationError> errors)
    {
        // An invalid array item wraps the item's own errors: report those. anyOf alternatives are not
        // individually wrong, so the anyOf failure is reported as one error at the object.
        if (error.Kind == ValidationErrorKind.ArrayItemNotValid && error is ChildSchemaValidationError child)
        {
            foreach (var inner in child.Errors.Values.SelectMany(e => e)) Flatten(inner, errors);
            return;
        }
        var path = ToPath(error.Path);
        var (code, message) = error.Kind switch
        {
            ValidationErrorKind.PropertyRequired => (ValidationCodes.SchemaRequired, $"Required property '{error.Property}' is missing."),
            ValidationErrorKind.NoAdditionalPropertiesAllowed => (ValidationCodes.SchemaAdditionalProperty, $"Property '{error.Property}' is not part of the contract."),
            ValidationErrorKind.NotInEnumeration => (ValidationCodes.SchemaEnum, "Value is not one of the allowed values."),
            ValidationErrorKind.PatternMismatch => (ValidationCodes.SchemaPattern, "Value does not match the required pattern."),
            ValidationErrorKind.NotAnyOf or ValidationErrorKind.NotOneOf or ValidationErrorKind.NotAllOf =>
                (ValidationCodes.SchemaAnyOf, "Value matches none of the allowed shapes (e.g. installments > 1 only with credit_card)."),
            ValidationErrorKind.DateTimeExpected or ValidationErrorKind.DateExpected or ValidationErrorKind.TimeExpected
                or ValidationErrorKind.GuidExpected or ValidationErrorKind.UuidExpected or ValidationErrorKind.EmailExpected
                or ValidationErrorKind.UriExpected or ValidationErrorKind.HostnameExpected or ValidationErrorKind.IpV4Expected
                or ValidationErrorKind.IpV6Expected or ValidationErrorKind.Base64Expected or ValidationErrorKind.TimeSpanExpected =>
                (ValidationCodes.SchemaFormat, $"Value is not a valid {FormatName(error.Kind)}."),
            ValidationErrorKind.StringExpected or ValidationErrorKind.NumberExpected or ValidationErrorKind.IntegerExpected
                or ValidationErrorKind.BooleanExpected or ValidationErrorKind.ObjectExpected or ValidationErrorKind.ArrayExpected
                or ValidationErrorKind.NullExpected =>
                (ValidationCodes.SchemaType, $"Wrong type: {Expected(error.Kind)}."),
            ValidationErrorKind.NumberTooSmall or ValidationErrorKind.NumberTooBig or ValidationErrorKind.NumberNotMultipleOf
                or ValidationErrorKind.StringTooShort or ValidationErrorKind.StringTooLong or ValidationErrorKind.TooFewItems
                or ValidationErrorKind.TooManyItems or ValidationErrorKind.ItemsNotUnique =>
                (ValidationCodes.SchemaRange, $"Value out of range ({error.Kind})."),
            _ => (ValidationCodes.SchemaViolation, $"Schema violation ({error.Kind})."),
        };
        errors.Add(new ValidationError(code, path, message));
    }

    private static string FormatName(ValidationErrorKind kind) => kind switch
    {
        ValidationErrorKind.DateTimeExpected => "RFC 3339 date-time",
        ValidationErrorKind.DateExpected => "date (YYYY-MM-DD)",
        ValidationErrorKind.GuidExpected or ValidationErrorKind.UuidExpected => "UUID",
        _ => kind.ToString().Replace("Expected", "", StringComparison.Ordinal),
    };

    private static string Expected(ValidationErrorKind kind) =>
        "expected " + kind.ToString().Replace("Expected", "", StringComparison.Ordinal).ToLowerInvariant();

    /// <summary>NJsonSchema's "#/lines[0].quantity" as "$.data.lines[0].quantity".</summary>
    internal static string ToPath(string? schemaPath)
    {
        if (string.IsNullOrEmpty(schemaPath) || schemaPath == "#") return "$.data";
        var rest = schemaPath.StartsWith("#/", StringComparison.Ordinal) ? schemaPath[2..] : schemaPath.TrimStart('#');
        return rest.Length == 0 ? "$.data" : rest[0] == '[' ? "$.data" + rest : "$.data." + rest;
    }
}
