namespace TradeMaster.Contracts.Ledger;

/// <summary>
/// Stable, machine-readable reasons a ledger refuses a transaction. They travel in API ProblemDetails (`code`),
/// in `transaction.refused` events and in the refused_transactions table, so they are never renamed.
/// docs/refusal-codes.md explains each one; a test keeps that page and this list equal.
/// </summary>
public static class RefusalCodes
{
    public const string StoreUnknown = "store_unknown";
    public const string StoreInactive = "store_inactive";
    public const string EmployeeUnknown = "employee_unknown";
    public const string EmployeeInactive = "employee_inactive";
    public const string EmployeeNotAtStore = "employee_not_at_store";
    public const string CustomerUnknown = "customer_unknown";
    public const string CustomerInactive = "customer_inactive";
    public const string ItemUnknown = "item_unknown";
    public const string ItemInactive = "item_inactive";
    public const string ItemNotSellable = "item_not_sellable";
    public const string ItemNotRentable = "item_not_rentable";
    public const string InsufficientStock = "insufficient_stock";
    public const string InsufficientRentalCopies = "insufficient_rental_copies";
    public const string QuantityOutOfRange = "quantity_out_of_range";
    public const string TooManyLines = "too_many_lines";
    public const string RentalLimitExceeded = "rental_limit_exceeded";
    public const string CustomerBlockedUnpaidFees = "customer_blocked_unpaid_fees";
    public const string RentalPeriodOutOfRange = "rental_period_out_of_range";
    public const string RentalStartOutOfRange = "rental_start_out_of_range";
    public const string RentalUnknown = "rental_unknown";
    public const string RentalAlreadyClosed = "rental_already_closed";
    public const string ReturnBeforeRentalStart = "return_before_rental_start";
    public const string ReturnDateInFuture = "return_date_in_future";
    public const string LateFeeNotOwed = "late_fee_not_owed";
    public const string PaymentInvalid = "payment_invalid";
    public const string TransactionIdConflict = "transaction_id_conflict";

    public static IReadOnlyList<string> All { get; } =
    [
        StoreUnknown, StoreInactive, EmployeeUnknown, EmployeeInactive, EmployeeNotAtStore,
        CustomerUnknown, CustomerInactive, ItemUnknown, ItemInactive, ItemNotSellable, ItemNotRentable,
        InsufficientStock, InsufficientRentalCopies, QuantityOutOfRange, TooManyLines, RentalLimitExceeded,
        CustomerBlockedUnpaidFees, RentalPeriodOutOfRange, RentalStartOutOfRange, RentalUnknown, RentalAlreadyClosed,
        ReturnBeforeRentalStart, ReturnDateInFuture, LateFeeNotOwed, PaymentInvalid, TransactionIdConflict,
    ];

    /// <summary>Refusals that mean "the thing you named does not exist" (HTTP 404 rather than 422).</summary>
    public static bool IsNotFound(string code) =>
        code is StoreUnknown or EmployeeUnknown or CustomerUnknown or ItemUnknown or RentalUnknown;

    /// <summary>
    /// A conflict is not a business refusal: nothing was attempted, so it produces no event and no history row.
    /// </summary>
    public static bool IsIdempotencyConflict(string code) => code == TransactionIdConflict;

    /// <summary>
    /// The HTTP status a refusal is answered with: 409 for a transaction id used for a different request, 404 for
    /// something named that does not exist, 422 for every business refusal.
    /// </summary>
    public static int HttpStatus(string code) => IsIdempotencyConflict(code) ? 409 : IsNotFound(code) ? 404 : 422;
}
