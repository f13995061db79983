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

    private static readonly byte[][] ForbiddenUtf8 = [.. ForbiddenNames.Select(System.Text.Encoding.ASCII.GetBytes)];

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

    public static void Scan(JsonElement element, string path, List<ValidationError> errors) =>
        Scan(element, new PathNode(null, path, -1), errors);

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
                if (element.TryGetInt64(out var n) && n is >= 100_000_000 and <= 99_999_999_999 && Cpf.IsValid(n.ToString("D11", System.Globalization.CultureInfo.InvariantCulture)))
                {
                    errors.Add(new ValidationError(ValidationCodes.PersonalDataCpf, path.ToString(), "A number that is a valid CPF."));
                }
                break;
        }
    }

    private static bool IsForbiddenName(JsonProperty property)
    {
        var raw = JsonMarshal.GetRawUtf8PropertyName(property);
        if (raw.IndexOf((byte)'\\') >= 0) return ForbiddenNames.Contains(property.Name); // escaped: decode to be sure
        if (raw.Length > 16) return false;
        foreach (var name in ForbiddenUtf8)
        {
            if (System.Text.Ascii.EqualsIgnoreCase(raw, name)) return true;
        }
        return false;
    }

    /// <summary>Only strings with an '@', 8+ digits, or an escape (which could hide either) are worth decoding.</summary>
    private static bool MayHoldPersonalData(ReadOnlySpan<byte> raw)
    {
        var digits = 0;
        foreach (var b in raw)
        {
            if (b is (byte)'@' or (byte)'\\') return true;
            if (b - (byte)'0' <= 9u && ++digits >= 8) return true;
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
    public static bool IsValid(string digits)
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

    private static int CheckDigit(string digits, int count)
    {
        var sum = 0;
        for (var i = 0; i < count; i++) sum += (digits[i] - '0') * (count + 1 - i);
        var r = sum * 10 % 11;
        return r == 10 ? 0 : r;
    }
}
