using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Gateway.Requests;

// These records describe the request bodies in the OpenAPI document. The endpoints read the JSON themselves
// (TransactionRequests) so that every problem of a body is reported at once; the two must stay in step, and the
// OpenAPI test checks the documented property names and required fields.

[Description("One line of a sale or rental: the catalog item and how many copies.")]
public sealed record LineBody
{
    [Required, Range(1, int.MaxValue)]
    public int ItemId { get; init; }

    [Required, Range(1, 100), Description("Copies; at most Ledger:MaxQuantityPerLine (default 100).")]
    public int Quantity { get; init; }
}

[Description("How the customer pays. Installments above 1 only with credit_card.")]
public sealed record PaymentBody
{
    [Required]
    public PaymentMethod Method { get; init; }

    [Range(1, TransactionLimits.MaxInstallments)]
    public int? Installments { get; init; }
}

[Description("A sale. Prices and totals come from the catalog, never from the client.")]
public sealed record SaleBody
{
    [Description("Idempotency key; may come as the Idempotency-Key header instead. Absent both, the server makes one.")]
    public Guid? TransactionId { get; init; }

    [Required, Range(1, int.MaxValue)]
    public int EmployeeId { get; init; }

    [Range(1, int.MaxValue), Description("Optional: anonymous sales are allowed.")]
    public int? CustomerId { get; init; }

    [Required, MinLength(1), MaxLength(50), Description("At most Ledger:MaxLinesPerTransaction (default 50) lines.")]
    public IReadOnlyList<LineBody> Lines { get; init; } = [];

    [Required]
    public PaymentBody Payment { get; init; } = new();
}

[Description("A rental, paid up front for the whole period.")]
public sealed record RentalBody
{
    [Description("Idempotency key; may come as the Idempotency-Key header instead. Absent both, the server makes one.")]
    public Guid? TransactionId { get; init; }

    [Required, Range(1, int.MaxValue)]
    public int EmployeeId { get; init; }

    [Required, Range(1, int.MaxValue)]
    public int CustomerId { get; init; }

    [Required, MinLength(1), MaxLength(50)]
    public IReadOnlyList<LineBody> Lines { get; init; } = [];

    [Required, Range(1, 30), Description("Rental period in days (Ledger:MinRentalDays..Ledger:MaxRentalDays, default 1..30).")]
    public int Days { get; init; }

    [Required]
    public PaymentBody Payment { get; init; } = new();

    [Description("When the rental started, ISO 8601 with an offset, for rentals taken while the till was offline (at most Ledger:MaxBackdate, 30 days, ago); absent means now.")]
    public DateTimeOffset? StartedAt { get; init; }
}

[Description("Closes a rental. A late fee is settled on the spot when payment is given, otherwise it stays owed.")]
public sealed record ReturnBody
{
    [Description("Idempotency key; may come as the Idempotency-Key header instead. Absent both, the server makes one.")]
    public Guid? TransactionId { get; init; }

    [Required, Range(1, int.MaxValue)]
    public int EmployeeId { get; init; }

    [Required]
    public Guid RentalId { get; init; }

    [Description("When the copies came back, ISO 8601 with an offset; absent means now.")]
    public DateTimeOffset? ReturnedAt { get; init; }

    [Description("Pays the late fee now; without it the fee stays owed and blocks new rentals.")]
    public PaymentBody? Payment { get; init; }
}

[Description("Pays the late fee a return left owed, at the store that took the return. The amount is the fee as recorded.")]
public sealed record LateFeePaymentBody
{
    [Description("Idempotency key; may come as the Idempotency-Key header instead. Absent both, the server makes one.")]
    public Guid? TransactionId { get; init; }

    [Required, Range(1, int.MaxValue)]
    public int EmployeeId { get; init; }

    [Required, Description("The rental whose return left the fee owed (GET /customers/{customerId}/rentals lists them under unpaidFees).")]
    public Guid RentalId { get; init; }

    [Required]
    public PaymentBody Payment { get; init; } = new();
}
