using System.Collections.Immutable;

namespace TradeMaster.Contracts.Ledger;

[GenerateSerializer, Immutable, Alias("tm.receipt-line.v1")]
public sealed record ReceiptLine(
    [property: Id(0)] int LineNumber,
    [property: Id(1)] int ItemId,
    [property: Id(2)] string Title,
    [property: Id(3)] MediaType MediaType,
    [property: Id(4)] string Genre,
    [property: Id(5)] int Quantity,
    [property: Id(6)] decimal UnitPrice,
    [property: Id(7)] decimal Discount,
    [property: Id(8)] decimal LineTotal,
    [property: Id(9)] decimal? DailyPrice);

[GenerateSerializer, Immutable, Alias("tm.payment-info.v1")]
public sealed record PaymentInfo(
    [property: Id(0)] PaymentMethod Method,
    [property: Id(1)] int Installments,
    [property: Id(2)] decimal Amount);

[GenerateSerializer, Immutable, Alias("tm.rental-terms.v1")]
public sealed record RentalTerms(
    [property: Id(0)] Guid RentalId,
    [property: Id(1)] int Days,
    [property: Id(2)] DateOnly StartDate,
    [property: Id(3)] DateOnly DueDate);

[GenerateSerializer, Immutable, Alias("tm.return-info.v1")]
public sealed record ReturnInfo(
    [property: Id(0)] Guid RentalId,
    [property: Id(1)] DateTimeOffset RentalStartedAt,
    [property: Id(2)] DateOnly DueDate,
    [property: Id(3)] DateTimeOffset ReturnedAt,
    [property: Id(4)] int LateDays,
    [property: Id(5)] decimal LateFee,
    [property: Id(6)] bool FeePaid);

/// <summary>What the ledger recorded for an accepted transaction: the body of the API's 201 answer.</summary>
[GenerateSerializer, Immutable, Alias("tm.receipt.v1")]
public sealed record Receipt(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] TransactionKind Kind,
    [property: Id(2)] int StoreId,
    [property: Id(3)] int EmployeeId,
    [property: Id(4)] int? CustomerId,
    [property: Id(5)] DateTimeOffset OccurredAt,
    [property: Id(6)] DateOnly LocalDate,
    [property: Id(7)] ImmutableArray<ReceiptLine> Lines,
    [property: Id(8)] decimal Total,
    [property: Id(9)] PaymentInfo? Payment,
    [property: Id(10)] RentalTerms? Rental,
    [property: Id(11)] ReturnInfo? Return,
    [property: Id(12)] Guid EventId);

[GenerateSerializer, Immutable, Alias("tm.refusal.v1")]
public sealed record Refusal(
    [property: Id(0)] string Code,
    [property: Id(1)] string Message,
    [property: Id(2)] int? ItemId = null);

/// <summary>
/// The ledger's answer: a receipt or a refusal, never both. A repeated transaction id gets this same value back.
/// </summary>
[GenerateSerializer, Immutable, Alias("tm.transaction-outcome.v1")]
public sealed record TransactionOutcome(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] TransactionKind Kind,
    [property: Id(2)] int StoreId,
    [property: Id(3)] Receipt? Receipt,
    [property: Id(4)] Refusal? Refusal,
    [property: Id(5)] Guid? EventId,
    [property: Id(6)] DateTimeOffset RecordedAt)
{
    public bool Accepted => Receipt is not null;
}
