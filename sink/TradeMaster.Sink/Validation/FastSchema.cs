using System.Buffers.Text;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TradeMaster.Sink.Validation;

/// <summary>
/// A yes/no JSON Schema check compiled from the same contract files NJsonSchema reads, over the
/// <see cref="JsonElement"/> the sink parsed anyway. NJsonSchema needs a Newtonsoft tree and costs ~100 µs an
/// event, five times the sink's whole budget; this answers "valid?" in a few µs. NJsonSchema stays the authority:
/// it runs whenever this says "invalid" (to produce the errors) and a differential test keeps the two verdicts
/// equal on the test corpus. Only the draft-07 keywords the contracts use are supported; a schema using any other
/// keyword fails to compile, and the sink then runs NJsonSchema on every event of that type.
/// <para>
/// The walk also does <see cref="PersonalData.MayHoldAny"/>'s work for the value it checks, so the sink need not
/// scan those bytes again: a walk that answers "valid" has given every name, string and number below the value
/// that pre-check's verdict, or known it clean without looking (a name the schema describes, a string equal to
/// one of the schema's clean enum values, a uuid, date or date-time in the canonical form, none of which can hold
/// what the pre-check looks for). What a schema does not describe (an additional property, an object or array
/// without a schema for its members) is handed to the pre-check whole. A walk that answers "invalid" promises
/// nothing: the caller scans everything.
/// </para>
/// </summary>
internal sealed class FastSchema
{
    [Flags]
    private enum Kinds
    {
        None = 0, Object = 1, Array = 2, String = 4, Number = 8, Integer = 16, Boolean = 32, Null = 64,
        Any = Object | Array | String | Number | Integer | Boolean | Null,
    }

    private static readonly HashSet<string> Annotations =
        ["$schema", "$id", "$comment", "title", "description", "examples", "default", "readOnly", "writeOnly"];

    private Kinds _types = Kinds.Any;
    private JsonElement[]? _enum;
    private byte[]?[]? _enumUtf8;
    private decimal?[]? _enumNumbers;
    private string[] _required = [];
    private Dictionary<string, Property>? _properties;

    // The described properties as UTF-8 names in schema order, which is the order the ledger writes them in: an
    // event's next property is nearly always the one after the last found, so it is tried first.
    private byte[][] _propertyNames = [];
    private Property[] _propertyList = [];

    // Required properties that the schema also describes are ticked off while the object's properties are
    // checked (one pass, no look-up per name); any others are looked up.
    private ulong _requiredMask;
    private byte[][] _requiredElsewhere = [];

    private sealed record Property(FastSchema Schema, ulong RequiredBit, bool ForbiddenName);

    // Every value of the enum (or the const) is clean to the personal-data pre-check.
    private bool _enumClean;
    private bool _additionalProperties = true;
    private FastSchema? _items;
    private int? _minItems, _maxItems, _minLength, _maxLength;
    private decimal? _minimum, _maximum, _exclusiveMinimum, _exclusiveMaximum, _multipleOf;
    private int? _multipleOfDecimals; // k when multipleOf is 10^-k
    private Regex? _pattern;
    private string? _format;
    private FastSchema[]? _anyOf, _oneOf, _allOf;

    public static FastSchema Compile(JsonElement schema) => Compile(schema, schema);

    private static FastSchema Compile(JsonElement node, JsonElement root)
    {
        if (node.ValueKind == JsonValueKind.True) return new FastSchema();
        if (node.ValueKind != JsonValueKind.Object) throw new NotSupportedException("A schema must be an object or true.");
        if (node.TryGetProperty("$ref", out var reference)) return Compile(Resolve(reference.GetString()!, root), root);

        var s = new FastSchema();
        foreach (var keyword in node.EnumerateObject())
        {
            var v = keyword.Value;
            switch (keyword.Name)
            {
                case "type":
                    s._types = v.ValueKind == JsonValueKind.Array
                        ? v.EnumerateArray().Aggregate(Kinds.None, (k, t) => k | KindOf(t.GetString()))
                        : KindOf(v.GetString());
                    break;
                case "enum": s._enum = [.. v.EnumerateArray().Select(e => e.Clone())]; break;
                case "const": s._enum = [v.Clone()]; break;
                case "required": s._required = [.. v.EnumerateArray().Select(e => e.GetString()!).Distinct(StringComparer.Ordinal)]; break;
                case "properties":
                    s._properties = v.EnumerateObject().ToDictionary(p => p.Name, p => new Property(Compile(p.Value, root), 0, PersonalData.IsForbiddenName(p.Name)), StringComparer.Ordinal);
                    break;
                case "additionalProperties":
                    s._additionalProperties = v.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw new NotSupportedException("additionalProperties must be a boolean."),
                    };
                    break;
                case "items": s._items = Compile(v, root); break;
                case "minItems": s._minItems = v.GetInt32(); break;
                case "maxItems": s._maxItems = v.GetInt32(); break;
                case "minLength": s._minLength = v.GetInt32(); break;
                case "maxLength": s._maxLength = v.GetInt32(); break;
                case "minimum": s._minimum = v.GetDecimal(); break;
                case "maximum": s._maximum = v.GetDecimal(); break;
                case "exclusiveMinimum": s._exclusiveMinimum = v.GetDecimal(); break;
                case "exclusiveMaximum": s._exclusiveMaximum = v.GetDecimal(); break;
                case "multipleOf":
                    s._multipleOf = v.GetDecimal();
                    if (s._multipleOf.Value.Scale > 0 && s._multipleOf.Value * Pow10(s._multipleOf.Value.Scale) == 1m) s._multipleOfDecimals = s._multipleOf.Value.Scale;
                    break;
                case "pattern": s._pattern = new Regex(v.GetString()!, RegexOptions.CultureInvariant | RegexOptions.Compiled); break;
                case "format":
                    s._format = v.GetString();
                    if (s._format is not ("uuid" or "date" or "date-time")) throw new NotSupportedException($"format {s._format}");
                    break;
                case "anyOf": s._anyOf = [.. v.EnumerateArray().Select(e => Compile(e, root))]; break;
                case "oneOf": s._oneOf = [.. v.EnumerateArray().Select(e => Compile(e, root))]; break;
                case "allOf": s._allOf = [.. v.EnumerateArray().Select(e => Compile(e, root))]; break;
                case "definitions" or "$defs": break;
                default:
                    if (!Annotations.Contains(keyword.Name)) throw new NotSupportedException($"JSON Schema keyword '{keyword.Name}'.");
                    break;
            }
        }
        var elsewhere = new List<byte[]>();
        foreach (var name in s._required)
        {
            var bit = BitOf(s._requiredMask);
            if (s._properties is not null && s._properties.TryGetValue(name, out var property) && bit != 0)
            {
                s._properties[name] = property with { RequiredBit = bit };
                s._requiredMask |= bit;
            }
            else
            {
                elsewhere.Add(Encoding.UTF8.GetBytes(name));
            }
        }
        s._requiredElsewhere = [.. elsewhere];
        if (s._properties is not null)
        {
            s._propertyNames = [.. s._properties.Keys.Select(Encoding.UTF8.GetBytes)];
            s._propertyList = [.. s._properties.Values];
        }
        if (s._enum is not null)
        {
            s._enumUtf8 = [.. s._enum.Select(c => c.ValueKind == JsonValueKind.String ? Encoding.UTF8.GetBytes(c.GetString()!) : null)];
            s._enumNumbers = [.. s._enum.Select(c => c.ValueKind == JsonValueKind.Number ? c.GetDecimal() : (decimal?)null)];
            s._enumClean = s._enum.All(c => !PersonalData.MayHoldAny(Encoding.UTF8.GetBytes(c.GetRawText())));
        }
        return s;
    }

    private static decimal Pow10(int n)
    {
        var p = 1m;
        for (var i = 0; i < n; i++) p *= 10m;
        return p;
    }

    /// <summary>The next free bit of a mask of up to 64 required names (0 when full).</summary>
    private static ulong BitOf(ulong used) => used == ulong.MaxValue ? 0 : (used + 1) & ~used;

    private static JsonElement Resolve(string reference, JsonElement root)
    {
        if (!reference.StartsWith("#/", StringComparison.Ordinal)) throw new NotSupportedException($"$ref {reference}");
        var node = root;
        foreach (var part in reference[2..].Split('/')) node = node.GetProperty(part.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal));
        return node;
    }

    private static Kinds KindOf(string? type) => type switch
    {
        "object" => Kinds.Object,
        "array" => Kinds.Array,
        "string" => Kinds.String,
        "number" => Kinds.Number | Kinds.Integer,
        "integer" => Kinds.Integer,
        "boolean" => Kinds.Boolean,
        "null" => Kinds.Null,
        _ => throw new NotSupportedException($"type {type}"),
    };

    public bool IsValid(JsonElement e)
    {
        var mayHoldPersonalData = false;
        return IsValid(e, ref mayHoldPersonalData);
    }

    /// <param name="mayHoldPersonalData">Set when something below <paramref name="e"/> may hold personal data
    /// (see the class); meaningful only when the answer is true.</param>
    public bool IsValid(JsonElement e, ref bool mayHoldPersonalData)
    {
        var textClean = false;
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                if ((_types & Kinds.Object) == 0 || !ObjectValid(e, ref mayHoldPersonalData)) return false;
                break;
            case JsonValueKind.Array:
                if ((_types & Kinds.Array) == 0 || !ArrayValid(e, ref mayHoldPersonalData)) return false;
                break;
            case JsonValueKind.String:
                if ((_types & Kinds.String) == 0 || !StringValid(e, out textClean)) return false;
                break;
            case JsonValueKind.Number:
                if (!NumberValid(e)) return false;
                mayHoldPersonalData = mayHoldPersonalData || PersonalData.NumberMayHold(JsonMarshal.GetRawUtf8Value(e));
                break;
            case JsonValueKind.True or JsonValueKind.False:
                if ((_types & Kinds.Boolean) == 0) return false;
                break;
            case JsonValueKind.Null:
                if ((_types & Kinds.Null) == 0) return false;
                break;
            default:
                return false;
        }
        if (_enum is not null)
        {
            if (!InEnum(e)) return false;
            textClean |= _enumClean;
        }
        if (e.ValueKind == JsonValueKind.String && !textClean)
        {
            mayHoldPersonalData = mayHoldPersonalData || PersonalData.StringMayHold(JsonMarshal.GetRawUtf8Value(e));
        }
        if (_allOf is not null)
        {
            foreach (var s in _allOf) if (!s.IsValid(e, ref mayHoldPersonalData)) return false;
        }
        if (_anyOf is not null)
        {
            var any = false;
            foreach (var s in _anyOf) if (s.IsValid(e, ref mayHoldPersonalData)) { any = true; break; }
            if (!any) return false;
        }
        if (_oneOf is not null)
        {
            var matches = 0;
            foreach (var s in _oneOf) if (s.IsValid(e, ref mayHoldPersonalData)) matches++;
            if (matches != 1) return false;
        }
        return true;
    }

    private bool InEnum(JsonElement e)
    {
        if (e.ValueKind == JsonValueKind.String && _enumUtf8 is not null)
        {
            // Unescaped text (nearly always) is compared as raw bytes against every allowed string at once,
            // without asking the document for each candidate; a string equals no number, object or literal.
            var raw = JsonMarshal.GetRawUtf8Value(e);
            var text = raw[1..^1];
            if (text.IndexOf((byte)'\\') < 0)
            {
                foreach (var candidate in _enumUtf8)
                {
                    if (candidate is not null && text.SequenceEqual(candidate)) return true;
                }
                return false;
            }
        }
        for (var i = 0; i < _enum!.Length; i++)
        {
            var candidate = _enum[i];
            if (candidate.ValueKind == JsonValueKind.Number && e.ValueKind == JsonValueKind.Number)
            {
                if (_enumNumbers![i] == e.GetDecimal()) return true;
            }
            else if (candidate.ValueKind == JsonValueKind.String)
            {
                // DeepEquals of two strings compares their unescaped text; ValueEquals does that without a string.
                if (e.ValueKind == JsonValueKind.String && e.ValueEquals(_enumUtf8![i])) return true;
            }
            else if (JsonElement.DeepEquals(candidate, e))
            {
                return true;
            }
        }
        return false;
    }

    private bool ObjectValid(JsonElement e, ref bool mayHoldPersonalData)
    {
        foreach (var name in _requiredElsewhere)
        {
            if (!e.TryGetProperty(name, out _)) return false;
        }
        if (_properties is null)
        {
            if (!_additionalProperties) return false;
            mayHoldPersonalData = mayHoldPersonalData || PersonalData.MayHoldAny(JsonMarshal.GetRawUtf8Value(e));
            return true;
        }
        var seen = 0UL;
        var next = 0;
        foreach (var p in e.EnumerateObject())
        {
            if (FindProperty(p, ref next) is { } child)
            {
                if (!child.Schema.IsValid(p.Value, ref mayHoldPersonalData)) return false;
                seen |= child.RequiredBit;
                mayHoldPersonalData |= child.ForbiddenName;
            }
            else if (!_additionalProperties)
            {
                return false;
            }
            else
            {
                mayHoldPersonalData = mayHoldPersonalData || PersonalData.IsForbiddenName(p) || PersonalData.MayHoldAny(JsonMarshal.GetRawUtf8Value(p.Value));
            }
        }
        return (seen & _requiredMask) == _requiredMask;
    }

    /// <summary>
    /// The schema of a property, found by its raw UTF-8 name (no string per property of every event), starting at
    /// <paramref name="next"/>, the position after the previous match. An escaped name is decoded and looked up.
    /// </summary>
    private Property? FindProperty(JsonProperty p, ref int next)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(p);
        if (raw.IndexOf((byte)'\\') >= 0) return _properties!.TryGetValue(p.Name, out var byName) ? byName : null;
        var names = _propertyNames;
        for (int tried = 0, i = next; tried < names.Length; tried++, i = i + 1 == names.Length ? 0 : i + 1)
        {
            if (raw.SequenceEqual(names[i]))
            {
                next = i + 1 == names.Length ? 0 : i + 1;
                return _propertyList[i];
            }
        }
        return null;
    }

    private bool ArrayValid(JsonElement e, ref bool mayHoldPersonalData)
    {
        var n = e.GetArrayLength();
        if (n < _minItems || n > _maxItems) return false;
        if (_items is null)
        {
            mayHoldPersonalData = mayHoldPersonalData || PersonalData.MayHoldAny(JsonMarshal.GetRawUtf8Value(e));
            return true;
        }
        foreach (var item in e.EnumerateArray())
        {
            if (!_items.IsValid(item, ref mayHoldPersonalData)) return false;
        }
        return true;
    }

    /// <param name="canonical">Set when the text is a uuid, date or date-time in the canonical form, which the
    /// personal-data pre-check always finds clean: no '@', '(', ')', "+55", "ddd.ddd.", no run of exactly eleven
    /// digits, no "digit, hyphen, four digits" ending a number (a test keeps that so).</param>
    private bool StringValid(JsonElement e, out bool canonical)
    {
        canonical = false;
        if (_minLength is null && _maxLength is null && _pattern is null && _format is null) return true;
        // Short text (every well-formed event's ids, dates, codes, names) is checked on its UTF-8 bytes or a stack
        // copy; anything else is decoded into a string as before.
        Span<byte> buffer = stackalloc byte[256];
        if (!CanonicalText.TryGetUtf8(e, buffer, out var text) || text.Length > 256) return StringValid(e.GetString(), []);
        var ascii = Ascii.IsValid(text);
        if (_pattern is null && (_format is null || ascii))
        {
            // No regex to run: lengths (in UTF-16 units, as .NET strings count them) and the canonical formats are
            // answered on the bytes; a format they do not recognise gets the parsers' verdict below.
            var length = ascii ? text.Length : Encoding.UTF8.GetCharCount(text);
            if (length < _minLength || length > _maxLength) return false;
            if (_format is null) return true;
            if (CanonicalFormat(text)) return canonical = true;
        }
        if (!ascii) return StringValid(e.GetString(), []);
        Span<char> chars = stackalloc char[text.Length];
        Ascii.ToUtf16(text, chars, out var n);
        return StringValid(chars[..n], text);
    }

    /// <summary>The format in the form the ledger writes it: accepted here ⇒ accepted by the parsers of <see cref="StringValid(ReadOnlySpan{char}, ReadOnlySpan{byte})"/>.</summary>
    private bool CanonicalFormat(ReadOnlySpan<byte> ascii) => _format switch
    {
        "uuid" => Utf8Parser.TryParse(ascii, out Guid _, out var consumed, 'D') && consumed == ascii.Length,
        "date" => CanonicalText.TryParseDate(ascii, out _),
        "date-time" => CanonicalText.IsUtcTimestamp(ascii),
        _ => false,
    };

    /// <param name="ascii">The same text as ASCII bytes when it is ASCII (empty otherwise): for the canonical forms.</param>
    private bool StringValid(ReadOnlySpan<char> s, ReadOnlySpan<byte> ascii)
    {
        if (s.Length < _minLength || s.Length > _maxLength) return false;
        if (_pattern is not null && !_pattern.IsMatch(s)) return false;
        return _format switch
        {
            null => true,
            "uuid" => Guid.TryParse(s, out _),
            // The canonical form is accepted without the culture-aware parsers (which accept it too); anything
            // else gets their verdict.
            "date" => CanonicalText.TryParseDate(ascii, out _)
                || DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            "date-time" => CanonicalText.IsUtcTimestamp(ascii)
                || DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            _ => false,
        };
    }

    private bool NumberValid(JsonElement e)
    {
        if ((_types & (Kinds.Number | Kinds.Integer)) == 0) return false;
        if (TryPlainNumber(JsonMarshal.GetRawUtf8Value(e), out var d, out var scale))
        {
            // An integer when its text has no decimals, as TryGetInt64 reads it.
            if ((_types & Kinds.Number) == 0 && scale > 0) return false;
        }
        else
        {
            if ((_types & Kinds.Number) == 0 && !e.TryGetInt64(out _)) return false;
            if (_minimum is null && _maximum is null && _exclusiveMinimum is null && _exclusiveMaximum is null && _multipleOf is null) return true;
            if (!e.TryGetDecimal(out d)) return false;
            scale = d.Scale;
        }
        if (d < _minimum || d > _maximum || d <= _exclusiveMinimum || d >= _exclusiveMaximum) return false;
        if (_multipleOf is not { } m) return true;
        // Money is multipleOf 0.01: a value written with at most two decimals is one without dividing.
        if (_multipleOfDecimals is { } decimals && scale <= decimals) return true;
        return d % m == 0m;
    }

    /// <summary>
    /// The value of a number written as digits with at most two decimals (no sign, no exponent: every id,
    /// quantity and amount the ledger writes), read from its text: the decimal TryGetDecimal would give, same
    /// scale, without the general parser. False for anything else, which takes the general path.
    /// </summary>
    internal static bool TryPlainNumber(ReadOnlySpan<byte> text, out decimal value, out int scale)
    {
        value = 0m;
        scale = 0;
        if (text.Length is 0 or > 18) return false;
        var mantissa = 0L;
        for (var i = 0; i < text.Length; i++)
        {
            var b = text[i];
            if (b == (byte)'.' && scale == 0 && i > 0 && text.Length - i - 1 is 1 or 2)
            {
                scale = text.Length - i - 1;
                continue;
            }
            var digit = b - (byte)'0';
            if ((uint)digit > 9) return false;
            mantissa = mantissa * 10 + digit;
        }
        value = new decimal((int)mantissa, (int)(mantissa >> 32), 0, isNegative: false, (byte)scale);
        return true;
    }
}
