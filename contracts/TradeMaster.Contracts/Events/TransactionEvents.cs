using System.Buffers;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace TradeMaster.Contracts.Events;

// The data of the four transaction events. Field names are snake_case on the wire (see EventJson) and are
// described field by field in contracts/…/Schemas/*.schema.json and docs/events.md.

public sealed record StoreRef(int Id, string Name, string City, string State, string Timezone);

public sealed record EmployeeRef(int Id, string Role);

/// <summary>The customer as analysts see them: a keyed hash of the CPF, never the CPF.</summary>
public sealed record CustomerRef(string Key);

public sealed record EventLine(
    int LineNumber,
    int ItemId,
    string Title,
    string MediaType,
    string Genre,
    int Quantity,
    decimal UnitPrice,
    decimal Discount,
    decimal LineTotal,
    decimal? DailyPrice = null);

public sealed record EventPayment(string Method, int Installments, decimal Amount);

public sealed record RentalDetails(Guid RentalId, int Days, DateOnly StartDate, DateOnly DueDate);

public sealed record ReturnDetails(
    Guid RentalId,
    DateTimeOffset RentalStartedAt,
    DateOnly DueDate,
    DateTimeOffset ReturnedAt,
    int LateDays,
    decimal LateFee,
    bool FeePaid);

public sealed record RefusalDetails(string Code, string Message, int? ItemId);

public sealed record RequestedLine(int ItemId, int Quantity, string? Title, string? MediaType, string? Genre);

/// <summary>Data of sale.completed, rental.started and rental.returned.</summary>
public sealed record TransactionData(
    Guid TransactionId,
    string TransactionType,
    DateTimeOffset OccurredAt,
    DateOnly LocalDate,
    StoreRef Store,
    EmployeeRef Employee,
    CustomerRef? Customer,
    string Currency,
    IReadOnlyList<EventLine> Lines,
    decimal Total,
    EventPayment? Payment,
    RentalDetails? Rental,
    ReturnDetails? Return);

/// <summary>Data of transaction.refused: a lost sale or rental is business data too.</summary>
public sealed record RefusedTransactionData(
    Guid TransactionId,
    string AttemptedType,
    DateTimeOffset OccurredAt,
    DateOnly LocalDate,
    StoreRef Store,
    EmployeeRef? Employee,
    CustomerRef? Customer,
    RefusalDetails Refusal,
    IReadOnlyList<RequestedLine> Lines,
    Guid? RentalId,
    int? Days);

public static class EventJson
{
    /// <summary>Options for event data: snake_case names, no nulls dropped (a null says "not applicable").
    /// The event data types come from <see cref="EventJsonContext"/>'s generated serializers; anything else (a
    /// test's own shape) by reflection. No <c>DictionaryKeyPolicy</c>: no event has a dictionary, and setting one
    /// makes System.Text.Json fall back from the generated code to its metadata walk.</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
        TypeInfoResolver = JsonTypeInfoResolver.Combine(EventJsonContext.Default, new DefaultJsonTypeInfoResolver()),
    };

    public static string DataSchemaUri(string type) =>
        $"https://schemas.trademaster.example/events/{EventTypes.SchemaFileName(type)}";

    /// <summary>
    /// The event as it is stored, published and re-sent byte for byte: a CloudEvents 1.0 structured-mode envelope
    /// with <paramref name="data"/> in it. Written in one pass (the data used to be serialized to a JsonElement
    /// first, i.e. written, parsed and written again). The writing buffer is the thread's own and reused (nothing
    /// here awaits), so each event allocates its bytes once: a new 2 KB buffer and the copy out of it made building
    /// the event a third of the ledger's <c>byte[]</c> allocations (docs/performance-log.md).
    /// </summary>
    public static byte[] Serialize<T>(Guid eventId, string type, int storeId, DateTimeOffset time, T data, string? traceParent)
    {
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = Options.Encoder }))
        {
            var store = storeId.ToString(CultureInfo.InvariantCulture);
            w.WriteStartObject();
            w.WriteString("specversion"u8, "1.0"u8);
            w.WriteString("id"u8, eventId);
            w.WriteString("source"u8, $"{Messaging.EventSource}/stores/{store}");
            w.WriteString("type"u8, type);
            w.WriteString("subject"u8, $"stores/{store}");
            w.WriteString("time"u8, time);
            w.WriteString("datacontenttype"u8, "application/json"u8);
            w.WriteString("dataschema"u8, DataSchemaUri(type));
            w.WriteString("partitionkey"u8, store);
            if (traceParent is null) w.WriteNull("traceparent"u8);
            else w.WriteString("traceparent"u8, traceParent);
            w.WritePropertyName("data"u8);
            JsonSerializer.Serialize(w, data, TypeInfo<T>.Value);
            w.WriteEndObject();
        }
        var json = buffer.WrittenSpan.ToArray();
        if (buffer.Capacity > MaxKeptBuffer) t_buffer = null; // an outsized event does not pin its buffer to the thread
        return json;
    }

    private const int MaxKeptBuffer = 64 * 1024;

    private static class TypeInfo<T>
    {
        public static readonly JsonTypeInfo<T> Value = (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));
    }

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;
}
