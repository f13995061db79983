using System.Collections.Immutable;
using System.Text.Json;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Gateway.Problems;

namespace TradeMaster.Gateway.Requests;

/// <summary>
/// Turns a parsed body (and the Idempotency-Key header) into a ledger command, or into the complete list of
/// what is wrong with it. Only shape and sanity are checked here; the store grain decides the business rules.
/// </summary>
public sealed class TransactionRequests(TransactionLimits limits)
{
    public const string IdempotencyKeyHeader = "Idempotency-Key";

    public SaleCommand? ParseSale(JsonElement body, string? idempotencyKey, FieldErrors errors)
    {
        var fields = new JsonFields(body, "", errors);
        var transactionId = TransactionId(fields, idempotencyKey);
        var employeeId = fields.Int("employeeId", required: true, 1, int.MaxValue);
        var customerId = fields.Int("customerId", required: false, 1, int.MaxValue);
        var lines = Lines(fields);
        var payment = Payment(fields, required: true);
        if (!errors.IsEmpty) return null;
        return new SaleCommand(transactionId, employeeId!.Value, customerId, lines!.Value, payment!);
    }

    public RentalCommand? ParseRental(JsonElement body, string? idempotencyKey, FieldErrors errors)
    {
        var fields = new JsonFields(body, "", errors);
        var transactionId = TransactionId(fields, idempotencyKey);
        var employeeId = fields.Int("employeeId", required: true, 1, int.MaxValue);
        var customerId = fields.Int("customerId", required: true, 1, int.MaxValue);
        var lines = Lines(fields);
        var days = fields.Int("days", required: true, limits.MinRentalDays, limits.MaxRentalDays);
        var payment = Payment(fields, required: true);
        var startedAt = fields.Timestamp("startedAt", required: false);
        if (!errors.IsEmpty) return null;
        return new RentalCommand(transactionId, employeeId!.Value, customerId!.Value, lines!.Value, days!.Value, payment!, startedAt);
    }

    public ReturnCommand? ParseReturn(JsonElement body, string? idempotencyKey, FieldErrors errors)
    {
        var fields = new JsonFields(body, "", errors);
        var transactionId = TransactionId(fields, idempotencyKey);
        var employeeId = fields.Int("employeeId", required: true, 1, int.MaxValue);
        var rentalId = fields.Uuid("rentalId", required: true);
        var returnedAt = fields.Timestamp("returnedAt", required: false);
        var payment = Payment(fields, required: false);
        if (!errors.IsEmpty) return null;
        return new ReturnCommand(transactionId, employeeId!.Value, rentalId!.Value, returnedAt, payment);
    }

    public LateFeePaymentCommand? ParseLateFeePayment(JsonElement body, string? idempotencyKey, FieldErrors errors)
    {
        var fields = new JsonFields(body, "", errors);
        var transactionId = TransactionId(fields, idempotencyKey);
        var employeeId = fields.Int("employeeId", required: true, 1, int.MaxValue);
        var rentalId = fields.Uuid("rentalId", required: true);
        var payment = Payment(fields, required: true);
        if (!errors.IsEmpty) return null;
        return new LateFeePaymentCommand(transactionId, employeeId!.Value, rentalId!.Value, payment!);
    }

    /// <summary>
    /// The id that makes a retry safe: from the body, else from the header, else a new one. Both present and
    /// different is an error rather than a guess, because picking one could record a second sale.
    /// </summary>
    private static Guid TransactionId(JsonFields fields, string? idempotencyKey)
    {
        var fromBody = fields.Uuid("transactionId", required: false);
        Guid? fromHeader = null;
        if (idempotencyKey is not null)
        {
            if (Guid.TryParse(idempotencyKey, out var parsed) && parsed != Guid.Empty) fromHeader = parsed;
            else fields.Errors.Add(IdempotencyKeyHeader, "The Idempotency-Key header must be a UUID.");
        }
        if (fromBody is { } b && fromHeader is { } h && b != h)
        {
            fields.Errors.Add("transactionId", "Differs from the Idempotency-Key header; send one of them, or the same value in both.");
        }
        return fromBody ?? fromHeader ?? Guid.CreateVersion7();
    }

    private ImmutableArray<LineRequest>? Lines(JsonFields fields)
    {
        var elements = fields.Array("lines", required: true, 1, limits.MaxLinesPerTransaction);
        if (elements is null) return null;
        var lines = ImmutableArray.CreateBuilder<LineRequest>(elements.Count);
        var valid = true;
        for (var i = 0; i < elements.Count; i++)
        {
            var path = $"{fields.PathOf("lines")}[{i}]";
            if (elements[i].ValueKind != JsonValueKind.Object)
            {
                fields.Errors.Add(path, $"Must be an object with itemId and quantity, not {JsonBody.Describe(elements[i].ValueKind)}.");
                valid = false;
                continue;
            }
            var line = new JsonFields(elements[i], path, fields.Errors);
            var itemId = line.Int("itemId", required: true, 1, int.MaxValue);
            var quantity = line.Int("quantity", required: true, 1, limits.MaxQuantityPerLine);
            if (itemId is null || quantity is null) valid = false;
            else lines.Add(new LineRequest(itemId.Value, quantity.Value));
        }
        return valid ? lines.MoveToImmutable() : null;
    }

    private static PaymentRequest? Payment(JsonFields fields, bool required)
    {
        var payment = fields.Object("payment", required);
        if (payment is null) return null;
        var methodName = payment.String("method", required: true);
        PaymentMethod? method = null;
        if (methodName is not null)
        {
            if (WireNames.TryParsePaymentMethod(methodName, out var parsed)) method = parsed;
            else payment.Errors.Add(payment.PathOf("method"), $"Unknown payment method '{methodName}'; use cash, debit_card, credit_card or pix.");
        }
        var installments = payment.Int("installments", required: false, 1, TransactionLimits.MaxInstallments);
        if (method is { } m && m != PaymentMethod.CreditCard && installments > 1)
        {
            payment.Errors.Add(payment.PathOf("installments"), "Installments above 1 are only allowed with credit_card.");
            return null;
        }
        return method is { } chosen && (installments is not null || !payment.Has("installments"))
            ? new PaymentRequest(chosen, installments)
            : null;
    }
}
