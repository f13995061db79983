using System.Runtime.InteropServices;
using System.Text.Json;

namespace TradeMaster.Sink.Validation;

/// <summary>
/// The date and timestamp forms the ledger writes, recognised on raw ASCII bytes. .NET's culture-aware parsers
/// (DateOnly.TryParseExact, DateTimeOffset.TryParse) cost a few hundred nanoseconds each and every event has
/// several dates; they accept everything these accept, so a caller answers "yes" here and asks them only
/// otherwise. A test keeps "accepted here ⇒ accepted there" on random and edge-case text.
/// </summary>
internal static class CanonicalText
{
    /// <summary>
    /// A JSON string's text as UTF-8 with its escapes decoded, without allocating: the raw bytes when it has no
    /// escape (the common case), else decoded into <paramref name="buffer"/>. False when it does not fit.
    /// </summary>
    public static bool TryGetUtf8(JsonElement stringElement, Span<byte> buffer, out ReadOnlySpan<byte> text) =>
        TryGetUtf8(JsonMarshal.GetRawUtf8Value(stringElement), buffer, out text);

    /// <summary>The same, on a JSON string token's raw text, quotes included.</summary>
    public static bool TryGetUtf8(ReadOnlySpan<byte> raw, Span<byte> buffer, out ReadOnlySpan<byte> text)
    {
        var inner = raw[1..^1];
        if (inner.IndexOf((byte)'\\') < 0)
        {
            text = inner;
            return true;
        }
        // Decoding never makes the text longer than its escaped form.
        if (inner.Length > buffer.Length)
        {
            text = default;
            return false;
        }
        var reader = new Utf8JsonReader(raw);
        reader.Read();
        text = buffer[..reader.CopyString(buffer)];
        return true;
    }

    /// <summary><c>yyyy-MM-dd</c>, exactly, naming a real date.</summary>
    public static bool TryParseDate(ReadOnlySpan<byte> s, out DateOnly date)
    {
        date = default;
        if (s.Length != 10 || s[4] != (byte)'-' || s[7] != (byte)'-') return false;
        if (!TryDigits(s[..4], out var year) || !TryDigits(s.Slice(5, 2), out var month) || !TryDigits(s.Slice(8, 2), out var day)) return false;
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)) return false;
        date = new DateOnly(year, month, day);
        return true;
    }

    /// <summary><c>yyyy-MM-ddTHH:mm:ss</c>, optionally 1–7 fraction digits, then <c>Z</c> or <c>+00:00</c>.</summary>
    public static bool IsUtcTimestamp(ReadOnlySpan<byte> s) => TryParseUtcTimestamp(s, out _);

    /// <summary>
    /// <see cref="IsUtcTimestamp"/>, with the instant: the value <see cref="JsonElement.TryGetDateTimeOffset"/>
    /// reads from the same text (offset zero, the fraction to the tick).
    /// </summary>
    public static bool TryParseUtcTimestamp(ReadOnlySpan<byte> s, out DateTimeOffset value)
    {
        value = default;
        if (s.Length < 20 || !TryParseDate(s[..10], out var date) || s[10] != (byte)'T' || s[13] != (byte)':' || s[16] != (byte)':') return false;
        if (!TryDigits(s.Slice(11, 2), out var hour) || !TryDigits(s.Slice(14, 2), out var minute) || !TryDigits(s.Slice(17, 2), out var second)
            || hour > 23 || minute > 59 || second > 59) return false;
        var rest = s[19..];
        var ticks = 0L;
        if (rest[0] == (byte)'.')
        {
            var fraction = 1;
            while (fraction < rest.Length && char.IsAsciiDigit((char)rest[fraction])) fraction++;
            if (fraction is 1 or > 8) return false;
            // 1–7 digits of a second, to ticks (10^-7 s).
            for (var i = 1; i < 8; i++) ticks = ticks * 10 + (i < fraction ? rest[i] - '0' : 0);
            rest = rest[fraction..];
        }
        if (!rest.SequenceEqual("Z"u8) && !rest.SequenceEqual("+00:00"u8)) return false;
        value = new DateTimeOffset(date.ToDateTime(new TimeOnly(hour, minute, second)).AddTicks(ticks), TimeSpan.Zero);
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<byte> s, out int value)
    {
        value = 0;
        foreach (var b in s)
        {
            var d = b - (byte)'0';
            if ((uint)d > 9) return false;
            value = value * 10 + d;
        }
        return true;
    }
}
