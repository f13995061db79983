using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TradeMaster.Sink.Validation;

/// <summary>
/// Finds personal data that must never reach the lake: a CPF (formatted, or 11 digits whose check digits are
/// right), an e-mail address, a phone number, or a field named like one. Every string, number and property name
/// of the message is scanned, envelope included. Cheap pre-checks ('@', runs of digits) keep regexes off the
/// common path.
/// </summary>
internal static partial class PersonalData
{
    private static readonly HashSet<string> ForbiddenNames = new(StringComparer.OrdinalIgnoreCase)
    {
        "cpf", "customer_cpf", "email", "e_mail", "customer_email", "phone", "phone_number", "telefone", "celular",
        "mobile", "rg", "birth_date", "date_of_birth", "data_nascimento", "address", "endereco",
    };

    // The names as ASCII bytes, by length: an event's sixty-odd property names are each compared with the one or
    // two forbidden names of the same length, not all sixteen.
    private static readonly byte[][][] ForbiddenUtf8ByLength = [.. Enumerable.Range(0, ForbiddenNames.Max(n => n.Length) + 1)
        .Select(length => ForbiddenNames.Where(n => n.Length == length).Select(System.Text.Encoding.ASCII.GetBytes).ToArray())];

    [GeneratedRegex(@"(?<![0-9])[0-9]{3}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}(?![0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex FormattedCpf();

    [GeneratedRegex(@"(?<![0-9A-Za-z])[0-9]{11}(?![0-9A-Za-z])", RegexOptions.CultureInvariant)]
    private static partial Regex ElevenDigits();

    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Email();

    // Brazilian numbers as people write them: +55 (11) 91234-5678, (11) 1234-5678, 11 91234 5678, +5511912345678.
    // Matches must stand alone (no letter, digit or hyphen around them), or the groups of a UUID would look like one.
    [GeneratedRegex(@"(?<![0-9A-Za-z])(\+55[\s-]?\(?[1-9][0-9]\)?[\s-]?9?[0-9]{4}[\s-]?[0-9]{4}|\(?[1-9][0-9]\)?[\s-]?9?[0-9]{4}[\s-][0-9]{4}|\([1-9][0-9]\)\s?9?[0-9]{8})(?![0-9A-Za-z-])", RegexOptions.CultureInvariant)]
    private static partial Regex Phone();

    [GeneratedRegex(@"^[1-9][1-9]9[0-9]{8}$", RegexOptions.CultureInvariant)]
    private static partial Regex BareMobile();

    /// <summary>
    /// Adds an error for every piece of personal data in a whole message: <paramref name="root"/>, parsed from
    /// <paramref name="json"/>. A verdict-only pass over the bytes, which allocates nothing and does not walk the
    /// document, answers "clean" for nearly every message; only when it finds something that could be personal
    /// data does the reporting pass (which spells out paths and runs the regexes) look again.
    /// </summary>
    public static void Scan(ReadOnlySpan<byte> json, JsonElement root, string path, List<ValidationError> errors) =>
        Scan(json, root, null, path, errors);

    /// <param name="prechecked">A value inside <paramref name="root"/> whose text the caller already gave the
    /// pre-check (the schema walk does: <see cref="FastSchema"/>), with that verdict: only the text around it is
    /// scanned here. The reporting pass, when it runs, still visits everything.</param>
    public static void Scan(ReadOnlySpan<byte> json, JsonElement root, (JsonElement Value, bool MayHold)? prechecked, string path, List<ValidationError> errors)
    {
        if (prechecked is { } known && json.Overlaps(JsonMarshal.GetRawUtf8Value(known.Value), out var start)
            && start >= 0 && start + JsonMarshal.GetRawUtf8Value(known.Value).Length is var end && end <= json.Length)
        {
            // The value's text is whole tokens, so the text before and after it is too.
            if (known.MayHold || MayHoldAny(json[..start]) || MayHoldAny(json[end..])) Report(root, path, errors);
            return;
        }
        if (MayHoldAny(json)) Report(root, path, errors);
    }

    /// <summary>The reporting pass alone: visits everything, spells out paths, runs the regexes.</summary>
    internal static void Report(JsonElement element, string path, List<ValidationError> errors) =>
        Scan(element, new PathNode(null, path, -1), errors);

    // Outside strings, only a string or a number can hold anything.
    private static readonly SearchValues<byte> TokenStarts = SearchValues.Create("\"-0123456789"u8);
    private static readonly SearchValues<byte> StringEnds = SearchValues.Create("\"\\"u8);
    private static readonly SearchValues<byte> NumberChars = SearchValues.Create("-+.0123456789eE"u8);

    /// <summary>
    /// False only when the reporting pass would add nothing, on the text of a well-formed JSON document (the
    /// caller parsed it): every property name, string and number is found by scanning the bytes, and every test
    /// on it is a necessary condition of one of the reporting pass's findings (a test keeps that so on random
    /// text and mutated events).
    /// </summary>
    internal static bool MayHoldAny(ReadOnlySpan<byte> json)
    {
        var i = 0;
        while (true)
        {
            var next = json[i..].IndexOfAny(TokenStarts);
            if (next < 0) return false;
            i += next;
            if (json[i] != (byte)'"')
            {
                var length = json[i..].IndexOfAnyExcept(NumberChars);
                var number = length < 0 ? json[i..] : json.Slice(i, length);
                if (NumberMayHold(number)) return true;
                i += number.Length;
                continue;
            }

            // A string: its end is the first quote not escaped.
            var start = i + 1;
            var end = start;
            var escaped = false;
            while (true)
            {
                var at = json[end..].IndexOfAny(StringEnds);
                if (at < 0) return true; // not the well-formed text the caller promised: let the reporting pass decide
                end += at;
                if (json[end] == (byte)'"') break;
                escaped = true;
                end += 2; // the backslash and the character it escapes (a \u escape's hex digits are no quote)
            }
            i = end + 1;
            var raw = json[start..end];
            // A name is followed by a colon: at once in compact JSON, after whitespace otherwise.
            var colon = i < json.Length && json[i] == (byte)':' ? 0 : json[i..].IndexOfAnyExcept(" \t\r\n"u8);
            if (colon >= 0 && json[i + colon] == (byte)':')
            {
                if (IsForbiddenName(raw, escaped, json[(start - 1)..i])) return true;
                continue;
            }
            if (TextMayHold(raw, escaped, json[(start - 1)..i])) return true;
        }
    }

    /// <summary>
    /// <see cref="MayHoldAny"/>'s verdict on a number token alone. The reporting pass asks JsonElement.TryGetInt64,
    /// which reads what Utf8Parser reads; below nine characters a number is under 100,000,000.
    /// </summary>
    internal static bool NumberMayHold(ReadOnlySpan<byte> number) =>
        number.Length >= 9 && Utf8Parser.TryParse(number, out long n, out var consumed) && consumed == number.Length
        && n is >= 100_000_000 and <= 99_999_999_999 && Cpf.IsValid(n);

    /// <summary><see cref="MayHoldAny"/>'s verdict on a string value alone, given its raw token (quotes included).</summary>
    internal static bool StringMayHold(ReadOnlySpan<byte> quoted)
    {
        var raw = quoted[1..^1];
        return TextMayHold(raw, raw.Contains((byte)'\\'), quoted);
    }

    private static bool TextMayHold(ReadOnlySpan<byte> raw, bool escaped, ReadOnlySpan<byte> quoted) =>
        escaped ? EscapedMayHoldPersonalData(raw) && EscapedMayHold(quoted) : MayHoldPersonalData(raw) && MayMatchText(raw);

    /// <summary>The string's text decoded (longer than 512 bytes: yes).</summary>
    private static bool EscapedMayHold(ReadOnlySpan<byte> quoted)
    {
        Span<byte> buffer = stackalloc byte[512];
        return !CanonicalText.TryGetUtf8(quoted, buffer, out var text) || (MayHoldPersonalData(text) && MayMatchText(text));
    }

    /// <summary>
    /// <see cref="MayHoldPersonalData"/> of the decoded text, read from the escaped text without decoding it: an
    /// escape stands for one character (a surrogate pair's two escapes for one code point, neither a digit nor '@'),
    /// and only <c>\u0030</c>–<c>\u0039</c> and <c>\u0040</c> stand for a digit or an '@'. A '\\' escaped does not.
    /// </summary>
    internal static bool EscapedMayHoldPersonalData(ReadOnlySpan<byte> raw)
    {
        var digits = 0;
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (b == (byte)'\\')
            {
                if (i + 1 >= raw.Length) return true; // not well-formed: let the decoder decide
                if (raw[i + 1] != (byte)'u')
                {
                    i++;
                    continue;
                }
                if (i + 5 >= raw.Length) return true;
                // \u0030 to \u0039 and \u0040, in either case of hex digit (only '0'-'9' differ there).
                var unit = raw.Slice(i + 2, 4);
                if (unit[0] == (byte)'0' && unit[1] == (byte)'0')
                {
                    if (unit[2] == (byte)'3' && char.IsAsciiDigit((char)unit[3]) && ++digits >= 8) return true;
                    if (unit[2] == (byte)'4' && unit[3] == (byte)'0') return true;
                }
                i += 5;
                continue;
            }
            if (b == (byte)'@') return true;
            if (char.IsAsciiDigit((char)b) && ++digits >= 8) return true;
        }
        return false;
    }

    /// <param name="quoted">The name with its quotes, for decoding when it is escaped.</param>
    private static bool IsForbiddenName(ReadOnlySpan<byte> raw, bool escaped, ReadOnlySpan<byte> quoted)
    {
        if (escaped)
        {
            var reader = new Utf8JsonReader(quoted);
            reader.Read();
            return ForbiddenNames.Contains(reader.GetString()!);
        }
        if (raw.Length >= ForbiddenUtf8ByLength.Length) return false;
        foreach (var name in ForbiddenUtf8ByLength[raw.Length])
        {
            if (System.Text.Ascii.EqualsIgnoreCase(raw, name)) return true;
        }
        return false;
    }

    /// <summary>
    /// A necessary condition, on the (decoded) UTF-8 text of a string, for <see cref="ScanText"/> to find anything:
    /// an '@' (e-mail), "+55", '(' or ')' (phone forms), "ddd.ddd." (formatted CPF), a run of exactly 11 digits
    /// between non-letters (bare CPF or mobile), or "digit, space or hyphen, exactly four digits, end of the number" (the tail of a phone
    /// number). Non-ASCII text (which may hold a Unicode space between digits) always says yes.
    /// </summary>
    internal static bool MayMatchText(ReadOnlySpan<byte> raw)
    {
        for (var i = 0; i < raw.Length; i++)
        {
            var b = raw[i];
            if (IsDigit(b))
            {
                // Eleven digits standing alone (no letter or digit either side): a bare CPF or mobile number.
                var start = i;
                while (i + 1 < raw.Length && IsDigit(raw[i + 1])) i++;
                if (i - start + 1 == 11 && (start == 0 || !char.IsAsciiLetter((char)raw[start - 1]))
                    && (i + 1 == raw.Length || !char.IsAsciiLetter((char)raw[i + 1]))) return true;
                continue;
            }
            switch (b)
            {
                case (byte)'@' or (byte)'(' or (byte)')' or >= 0x80:
                    return true;
                case (byte)'+':
                    if (raw[(i + 1)..].StartsWith("55"u8)) return true;
                    break;
                case (byte)'.':
                    if (i >= 3 && i + 4 < raw.Length && IsDigit(raw[i - 1]) && IsDigit(raw[i - 2]) && IsDigit(raw[i - 3])
                        && IsDigit(raw[i + 1]) && IsDigit(raw[i + 2]) && IsDigit(raw[i + 3]) && raw[i + 4] == (byte)'.') return true;
                    break;
                case (byte)' ' or (byte)'-':
                    if (i >= 1 && i + 4 < raw.Length && IsDigit(raw[i - 1])
                        && IsDigit(raw[i + 1]) && IsDigit(raw[i + 2]) && IsDigit(raw[i + 3]) && IsDigit(raw[i + 4])
                        && (i + 5 == raw.Length || !(char.IsAsciiLetterOrDigit((char)raw[i + 5]) || raw[i + 5] == (byte)'-'))) return true;
                    break;
            }
        }
        return false;

        static bool IsDigit(byte b) => char.IsAsciiDigit((char)b);
    }

    /// <summary>The path is only spelled out when there is something to report: no string per visited value.</summary>
    private sealed class PathNode(PathNode? parent, string? root, JsonProperty property, int index)
    {
        public PathNode(PathNode? parent, string? root, int index) : this(parent, root, default, index)
        {
        }

        public override string ToString() =>
            parent is null ? root! : index >= 0 ? $"{parent}[{index}]" : $"{parent}.{property.Name}";
    }

    private static void Scan(JsonElement element, PathNode path, List<ValidationError> errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var p in element.EnumerateObject())
                {
                    var child = new PathNode(path, null, p, -1);
                    if (IsForbiddenName(p))
                    {
                        errors.Add(new ValidationError(ValidationCodes.PersonalDataField, child.ToString(),
                            $"A field named '{p.Name}' carries personal data, which never leaves the ledger's database."));
                    }
                    Scan(p.Value, child, errors);
                }
                break;
            case JsonValueKind.Array:
                var i = 0;
                foreach (var item in element.EnumerateArray()) Scan(item, new PathNode(path, null, i++), errors);
                break;
            case JsonValueKind.String:
                if (MayHoldPersonalData(JsonMarshal.GetRawUtf8Value(element))) ScanText(element.GetString()!, path.ToString(), errors);
                break;
            case JsonValueKind.Number:
                if (element.TryGetInt64(out var n) && n is >= 100_000_000 and <= 99_999_999_999 && Cpf.IsValid(n))
                {
                    errors.Add(new ValidationError(ValidationCodes.PersonalDataCpf, path.ToString(), "A number that is a valid CPF."));
                }
                break;
        }
    }

    /// <summary>Whether a field of this (decoded) name is taken for personal data.</summary>
    internal static bool IsForbiddenName(string name) => ForbiddenNames.Contains(name);

    internal static bool IsForbiddenName(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        // Escaped: decode to be sure.
        return raw.IndexOf((byte)'\\') >= 0 ? ForbiddenNames.Contains(property.Name) : IsForbiddenName(raw, escaped: false, default);
    }

    /// <summary>Only strings with an '@', 8+ digits, or an escape (which could hide either) are worth decoding.</summary>
    private static bool MayHoldPersonalData(ReadOnlySpan<byte> raw)
    {
        var digits = 0;
        foreach (var b in raw)
        {
            if (b is (byte)'@' or (byte)'\\') return true;
            if (char.IsAsciiDigit((char)b) && ++digits >= 8) return true;
        }
        return false;
    }

    internal static void ScanText(string text, string path, List<ValidationError> errors)
    {
        var digits = 0;
        var at = false;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c)) digits++;
            else if (c == '@') at = true;
        }
        if (at && Email().IsMatch(text))
        {
            errors.Add(new ValidationError(ValidationCodes.PersonalDataEmail, path, "An e-mail address in clear."));
        }
        if (digits < 8) return;

        var cpf = FormattedCpf().IsMatch(text);
        var phone = false;
        if (!cpf)
        {
            foreach (Match m in ElevenDigits().Matches(text))
            {
                if (Cpf.IsValid(m.Value)) { cpf = true; break; }
                if (BareMobile().IsMatch(m.Value)) phone = true;
            }
        }
        if (cpf) errors.Add(new ValidationError(ValidationCodes.PersonalDataCpf, path, "A CPF in clear (customers travel only as a keyed hash)."));
        if (phone || Phone().IsMatch(text))
        {
            errors.Add(new ValidationError(ValidationCodes.PersonalDataPhone, path, "A phone number in clear."));
        }
    }
}

/// <summary>CPF check digits (módulo 11).</summary>
internal static class Cpf
{
    /// <summary>A number read as 11 digits with leading zeros (a CPF typed into a numeric field).</summary>
    public static bool IsValid(long number)
    {
        if (number is < 0 or > 99_999_999_999) return false;
        Span<char> digits = stackalloc char[11];
        for (var i = 10; i >= 0; i--, number /= 10) digits[i] = (char)('0' + number % 10);
        return IsValid(digits);
    }

    public static bool IsValid(ReadOnlySpan<char> digits)
    {
        if (digits.Length != 11) return false;
        var allSame = true;
        for (var i = 0; i < 11; i++)
        {
            if (!char.IsAsciiDigit(digits[i])) return false;
            if (digits[i] != digits[0]) allSame = false;
        }
        if (allSame) return false;
        return CheckDigit(digits, 9) == digits[9] - '0' && CheckDigit(digits, 10) == digits[10] - '0';
    }

    private static int CheckDigit(ReadOnlySpan<char> digits, int count)
    {
        var sum = 0;
        for (var i = 0; i < count; i++) sum += (digits[i] - '0') * (count + 1 - i);
        var r = sum * 10 % 11;
        return r == 10 ? 0 : r;
    }
}
