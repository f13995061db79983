using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Contracts.Events;

/// <summary>CloudEvent types. The version lives in the type, never in the topic.</summary>
public static class EventTypes
{
    public const string SaleCompleted = "com.trademaster.sale.completed.v1";
    public const string RentalStarted = "com.trademaster.rental.started.v1";
    public const string RentalReturned = "com.trademaster.rental.returned.v1";
    public const string LateFeePaid = "com.trademaster.late_fee.paid.v1";
    public const string TransactionRefused = "com.trademaster.transaction.refused.v1";

    public static IReadOnlyList<string> All { get; } = [SaleCompleted, RentalStarted, RentalReturned, LateFeePaid, TransactionRefused];

    public static string ForAccepted(TransactionKind kind) => kind switch
    {
        TransactionKind.Sale => SaleCompleted,
        TransactionKind.Rental => RentalStarted,
        TransactionKind.Return => RentalReturned,
        TransactionKind.LateFeePayment => LateFeePaid,
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Schema file name (under contracts/…/Schemas) describing the data of a type.</summary>
    public static string SchemaFileName(string type) => type switch
    {
        SaleCompleted => "sale.completed.v1.schema.json",
        RentalStarted => "rental.started.v1.schema.json",
        RentalReturned => "rental.returned.v1.schema.json",
        LateFeePaid => "late_fee.paid.v1.schema.json",
        TransactionRefused => "transaction.refused.v1.schema.json",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown event type."),
    };
}

/// <summary>Names shared by publisher, sink, Dapr components and manifests.</summary>
public static class Messaging
{
    public const string PubSubName = "trademaster-pubsub";
    public const string TransactionsTopic = "transactions";
    public const string DeadLetterTopic = "transactions-deadletter";
    public const string EventSource = "/trademaster/ledger";
    public const string PartitionKeyMetadata = "partitionKey";
}
