namespace TradeMaster.Db.Seed;

/// <summary>Check digits of Brazilian CPF numbers and of EAN-13 / ISBN-13 codes.</summary>
public static class BrazilianDocuments
{
    public static bool IsValidCpf(string? cpf)
    {
        if (cpf is null) return false;
        Span<int> d = stackalloc int[11];
        var n = 0;
        foreach (var c in cpf)
        {
            if (char.IsAsciiDigit(c))
            {
                if (n == 11) return false;
                d[n++] = c - '0';
            }
            else if (c is not ('.' or '-' or ' '))
            {
                return false;
            }
        }
        if (n != 11) return false;
        var allSame = true;
        for (var i = 1; i < 11; i++) allSame &= d[i] == d[0];
        if (allSame) return false; // 000.000.000-00 and friends pass the arithmetic but are not issued
        return d[9] == CpfDigit(d[..9]) && d[10] == CpfDigit(d[..10]);
    }

    /// <summary>Completes 9 base digits into a valid 11-digit CPF.</summary>
    public static string CompleteCpf(ReadOnlySpan<int> nineDigits)
    {
        Span<int> d = stackalloc int[11];
        nineDigits.CopyTo(d);
        d[9] = CpfDigit(d[..9]);
        d[10] = CpfDigit(d[..10]);
        return string.Create(11, d.ToArray(), (chars, digits) =>
        {
            for (var i = 0; i < 11; i++) chars[i] = (char)('0' + digits[i]);
        });
    }

    public static string OnlyDigits(string value) => new(value.Where(char.IsAsciiDigit).ToArray());

    public static string FormatCpf(string digits) =>
        $"{digits[..3]}.{digits[3..6]}.{digits[6..9]}-{digits[9..]}";

    /// <summary>Appends the EAN-13 check digit to 12 digits (ISBN-13 uses the same rule).</summary>
    public static string CompleteEan13(string twelveDigits)
    {
        var sum = 0;
        for (var i = 0; i < 12; i++) sum += (twelveDigits[i] - '0') * (i % 2 == 0 ? 1 : 3);
        return twelveDigits + (char)('0' + ((10 - (sum % 10)) % 10));
    }

    public static bool IsValidEan13(string? code) =>
        code is { Length: 13 } && code.All(char.IsAsciiDigit) && CompleteEan13(code[..12]) == code;

    private static int CpfDigit(ReadOnlySpan<int> digits)
    {
        var sum = 0;
        var weight = digits.Length + 1;
        foreach (var digit in digits) sum += digit * weight--;
        var rest = sum % 11;
        return rest < 2 ? 0 : 11 - rest;
    }
}
