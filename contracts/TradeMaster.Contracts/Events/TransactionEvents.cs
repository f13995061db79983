using System.Text.Json;
using System.Text.Json.Serialization;

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

/// <summary>
/// A CloudEvents 1.0 structured-mode envelope. <see cref="Data"/> is kept as raw JSON so that the envelope can
/// be carried, stored and re-sent byte for byte without knowing the data's type.
/// </summary>
public sealed record CloudEvent
{
    [JsonPropertyName("specversion")] public string SpecVersion { get; init; } = "1.0";
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("source")] public required string Source { get; init; }
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("subject")] public string? Subject { get; init; }
    [JsonPropertyName("time")] public DateTimeOffset? Time { get; init; }
    [JsonPropertyName("datacontenttype")] public string DataContentType { get; init; } = "application/json";
    [JsonPropertyName("dataschema")] public string? DataSchema { get; init; }
    [JsonPropertyName("partitionkey")] public string? PartitionKey { get; init; }
    [JsonPropertyName("traceparent")] public string? TraceParent { get; init; }
    [JsonPropertyName("data")] public required JsonElement Data { get; init; }
}

public static class EventJson
{
    /// <summary>Options for event data: snake_case names, no nulls dropped (a null says "not applicable").</summary>
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        WriteIndented = false,
    };

    public static string DataSchemaUri(string type) =>
        $"https://schemas.trademaster.example/events/{EventTypes.SchemaFileName(type)}";

    public static CloudEvent Envelope<T>(Guid eventId, string type, int storeId, DateTimeOffset time, T data, string? traceParent) =>
        new()
        {
            Id = eventId.ToString("D"),
            Source = $"{Messaging.EventSource}/stores/{storeId}",
            Type = type,
            Subject = $"stores/{storeId}",
            Time = time,
            DataSchema = DataSchemaUri(type),
            PartitionKey = storeId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            TraceParent = traceParent,
            Data = JsonSerializer.SerializeToElement(data, Options),
        };

    public static byte[] Serialize(CloudEvent cloudEvent) => JsonSerializer.SerializeToUtf8Bytes(cloudEvent, Options);
}
