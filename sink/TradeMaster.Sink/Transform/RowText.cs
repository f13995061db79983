using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace TradeMaster.Sink.Transform;

/// <summary>
/// A row's JSON text, written into the output as it is made: the bytes <see cref="Utf8JsonWriter"/> writes,
/// minimized, for the same calls, without its state checks and escaping searches on every call. Names come with
/// their quotes and colon (<c>"event_id":</c>, UTF-8 literals with nothing to escape); values are JSON text this
/// code made or the parser checked. <see cref="AnalyticsRow"/> fixes the row's structure (TransformTests hold its
/// bytes and parse every shape).
/// </summary>
internal ref struct RowText
{
    private const int Chunk = 2048;

    // Never escaped by the default encoder: every transport name, topic and message id the sink has met.
    private static readonly SearchValues<char> Plain =
        SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.:/");

    private readonly IBufferWriter<byte> _output;
    private Span<byte> _span;
    private int _at;

    // A value, or an object or array now closed, came last: the next name or array element needs a comma.
    private bool _comma;

    public RowText(IBufferWriter<byte> output)
    {
        _output = output;
        _span = output.GetSpan(Chunk);
    }

    public void StartObject()
    {
        Ensure(2);
        if (_comma) _span[_at++] = (byte)',';
        _span[_at++] = (byte)'{';
        _comma = false;
    }

    public void EndObject() => Close((byte)'}');

    public void StartArray(ReadOnlySpan<byte> name)
    {
        Name(name, 1);
        _span[_at++] = (byte)'[';
        _comma = false;
    }

    public void EndArray() => Close((byte)']');

    /// <summary>A property whose value is JSON text as it is.</summary>
    /// <param name="name">The quoted name and its colon.</param>
    public void Raw(scoped ReadOnlySpan<byte> name, scoped ReadOnlySpan<byte> json)
    {
        Name(name, json.Length);
        json.CopyTo(_span[_at..]);
        _at += json.Length;
        _comma = true;
    }

    public void Null(ReadOnlySpan<byte> name) => Raw(name, "null"u8);

    public void Boolean(ReadOnlySpan<byte> name, bool value) => Raw(name, value ? "true"u8 : "false"u8);

    public void Number(ReadOnlySpan<byte> name, long value)
    {
        Span<byte> digits = stackalloc byte[20];
        Utf8Formatter.TryFormat(value, digits, out var n);
        Raw(name, digits[..n]);
    }

    /// <summary>A .NET string as a JSON string, escaped as <see cref="Utf8JsonWriter"/> escapes it by default.</summary>
    public void String(ReadOnlySpan<byte> name, string value)
    {
        if (value.Length > 256 || value.AsSpan().ContainsAnyExcept(Plain))
        {
            var encoded = JsonEncodedText.Encode(value).EncodedUtf8Bytes;
            Name(name, encoded.Length + 2);
            _span[_at++] = (byte)'"';
            encoded.CopyTo(_span[_at..]);
            _at += encoded.Length;
        }
        else
        {
            Name(name, value.Length + 2);
            _span[_at++] = (byte)'"';
            _at += System.Text.Encoding.ASCII.GetBytes(value, _span[_at..]);
        }
        _span[_at++] = (byte)'"';
        _comma = true;
    }

    /// <summary>Hands what is written to the output; the row is complete.</summary>
    public void Flush()
    {
        _output.Advance(_at);
        _span = default;
        _at = 0;
    }

    /// <summary>The comma when one is due and the name, with room left for <paramref name="value"/> bytes.</summary>
    private void Name(scoped ReadOnlySpan<byte> name, int value)
    {
        Ensure(name.Length + value + 1);
        if (_comma) _span[_at++] = (byte)',';
        name.CopyTo(_span[_at..]);
        _at += name.Length;
    }

    private void Close(byte bracket)
    {
        Ensure(1);
        _span[_at++] = bracket;
        _comma = true;
    }

    private void Ensure(int bytes)
    {
        if (_span.Length - _at >= bytes) return;
        _output.Advance(_at);
        _span = _output.GetSpan(Math.Max(bytes, Chunk));
        _at = 0;
    }
}
