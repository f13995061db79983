using System.Collections.Immutable;

namespace TradeMaster.Contracts.Ledger;

[GenerateSerializer, Immutable, Alias("tm.line-request.v1")]
public sealed record LineRequest([property: Id(0)] int ItemId, [property: Id(1)] int Quantity);

[GenerateSerializer, Immutable, Alias("tm.payment-request.v1")]
public sealed record PaymentRequest([property: Id(0)] PaymentMethod Method, [property: Id(1)] int? Installments);

/// <summary>A sale as the store asked for it; prices come from the catalog, never from the client.</summary>
[GenerateSerializer, Immutable, Alias("tm.sale-command.v1")]
public sealed record SaleCommand(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] int EmployeeId,
    [property: Id(2)] int? CustomerId,
    [property: Id(3)] ImmutableArray<LineRequest> Lines,
    [property: Id(4)] PaymentRequest Payment);

/// <summary>
/// Starts a rental. <see cref="StartedAt"/> lets a store key in a rental it took while its till was offline
/// (within <c>Ledger:MaxBackdate</c>); absent, the rental starts now.
/// </summary>
[GenerateSerializer, Immutable, Alias("tm.rental-command.v1")]
public sealed record RentalCommand(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] int EmployeeId,
    [property: Id(2)] int CustomerId,
    [property: Id(3)] ImmutableArray<LineRequest> Lines,
    [property: Id(4)] int Days,
    [property: Id(5)] PaymentRequest Payment,
    [property: Id(6)] DateTimeOffset? StartedAt = null);

/// <summary>
/// Closes a rental. <see cref="ReturnedAt"/> lets a store key in a return it took offline; absent, it is now.
/// A late fee is settled on the spot when <see cref="Payment"/> is given, otherwise it stays owed.
/// </summary>
[GenerateSerializer, Immutable, Alias("tm.return-command.v1")]
public sealed record ReturnCommand(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] int EmployeeId,
    [property: Id(2)] Guid RentalId,
    [property: Id(3)] DateTimeOffset? ReturnedAt,
    [property: Id(4)] PaymentRequest? Payment);

/// <summary>
/// Pays the late fee a return of <see cref="RentalId"/> left owed, at the store that took the return (the fee is in its
/// journal). The amount is the fee as recorded, never the client's.
/// </summary>
[GenerateSerializer, Immutable, Alias("tm.late-fee-payment-command.v1")]
public sealed record LateFeePaymentCommand(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] int EmployeeId,
    [property: Id(2)] Guid RentalId,
    [property: Id(3)] PaymentRequest Payment);
