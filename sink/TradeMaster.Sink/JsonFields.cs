using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace TradeMaster.Sink;

/// <summary>
/// The properties of one kind of object that a reader wants, read in one pass. Each
/// <see cref="JsonElement.GetProperty(ReadOnlySpan{byte})"/> scans the object's properties again; the transform
/// asks a sale's data object a dozen times and each line ten, so it reads each object once into slots instead.
/// Same answers: the last occurrence of a repeated name wins, escaped names are decoded, an absent property is
/// a default element (<see cref="JsonValueKind.Undefined"/>).
/// </summary>
internal sealed class JsonFields<TField> where TField : struct, Enum
{
    private readonly byte[][] _names;

    /// <param name="names">The JSON name of each value of <typeparamref name="TField"/>, in the enum's order (0, 1, 2…).</param>
    public JsonFields(params string[] names)
    {
        if (Enum.GetUnderlyingType(typeof(TField)) != typeof(int) || names.Length != Enum.GetValues<TField>().Length || names.Length > JsonSlots.Capacity)
        {
            throw new ArgumentException($"One name per {typeof(TField).Name} value (an int enum numbered from 0), at most {JsonSlots.Capacity}.", nameof(names));
        }
        _names = [.. names.Select(Encoding.UTF8.GetBytes)];
    }

    public void Read(JsonElement obj, ref JsonSlots slots)
    {
        // Objects are written in a fixed order, mostly the order of the names: the one after the last match is tried first.
        var next = 0;
        foreach (var p in obj.EnumerateObject())
        {
            var raw = JsonMarshal.GetRawUtf8PropertyName(p);
            var escaped = raw.IndexOf((byte)'\\') >= 0;
            for (int tried = 0, i = next; tried < _names.Length; tried++, i = i + 1 == _names.Length ? 0 : i + 1)
            {
                if (escaped ? p.NameEquals(_names[i]) : raw.SequenceEqual(_names[i]))
                {
                    slots[i] = p.Value;
                    next = i + 1 == _names.Length ? 0 : i + 1;
                    break;
                }
            }
        }
    }
}

/// <summary>The values read by <see cref="JsonFields{TField}"/>, indexed by the field's enum value; on the stack.</summary>
[InlineArray(Capacity)]
internal struct JsonSlots
{
    public const int Capacity = 20;

    private JsonElement _first;

}

internal static class JsonSlotsExtensions
{
    public static JsonElement Get<TField>(this ref JsonSlots slots, TField field) where TField : struct, Enum => slots[Unsafe.As<TField, int>(ref field)];
}
