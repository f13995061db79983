using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Sink.Validation;

/// <summary>
/// The data rules a JSON Schema cannot say: amounts that must add up, dates that must be coherent, ids that must
/// be well formed, the rental policy, the clock. Each rule only looks at fields of the right type (a wrong type is
/// already a schema error), so one bad field yields one error and every independent problem is reported.
/// </summary>
internal sealed class TransactionRules(ValidationOptions options)
{
    // The zones met so far, by their UTF-8 name: found without making a string (a chain has a handful). Only zones
    // that exist are kept, so names from bad input cannot grow it; past the limit, look-ups go to TimeZoneInfo.
    private const int MaxKnownZones = 32;
    private static (byte[] Utf8, string Name, TimeZoneInfo Zone)[] s_knownZones = [];

    // The data object and each line are read once into slots: a rule's look-up is then an index, not a scan of the
    // object's properties (a dozen look-ups on the data object, six on each line).
    private enum DataField { TransactionId, OccurredAt, LocalDate, Store, Employee, RentalId, Lines, Currency, Rental, Total, Payment, Return }

    private static readonly JsonFields<DataField> DataFields = new("transaction_id", "occurred_at", "local_date", "store", "employee", "rental_id",
        "lines", "currency", "rental", "total", "payment", "return");

    private enum LineField { LineNumber, ItemId, Quantity, UnitPrice, Discount, LineTotal, DailyPrice }

    private static readonly JsonFields<LineField> LineFields = new("line_number", "item_id", "quantity", "unit_price", "discount", "line_total", "daily_price");

    public void Check(string type, JsonElement data, DateTimeOffset now, List<ValidationError> errors)
    {
        if (data.ValueKind != JsonValueKind.Object) return;
        var d = new JsonSlots();
        DataFields.Read(data, ref d);

        CheckUuid(d.Get(DataField.TransactionId), "$.data.transaction_id", errors);
        var occurredAt = Timestamp(d.Get(DataField.OccurredAt)) is { } at ? CheckFuture(at, now, errors) : (DateTimeOffset?)null;
        var store = d.Get(DataField.Store);
        CheckLocalDate(d.Get(DataField.LocalDate), store, occurredAt, errors);
        if (store.ValueKind == JsonValueKind.Object)
        {
            CheckPositiveId(store, "id"u8, "$.data.store.id", errors);
        }
        if (d.Get(DataField.Employee) is { ValueKind: JsonValueKind.Object } employee)
        {
            CheckPositiveId(employee, "id"u8, "$.data.employee.id", errors);
        }

        if (type == EventTypes.TransactionRefused)
        {
            CheckUuid(d.Get(DataField.RentalId), "$.data.rental_id", errors);
            if (d.Get(DataField.Lines) is { ValueKind: JsonValueKind.Array } requested)
            {
                var i = 0;
                foreach (var line in requested.EnumerateArray())
                {
                    if (line.ValueKind == JsonValueKind.Object && line.TryGetProperty("item_id"u8, out var itemId) && itemId.ValueKind == JsonValueKind.Number
                        && (!itemId.TryGetInt64(out var v) || v <= 0))
                    {
                        errors.Add(new ValidationError(ValidationCodes.IdInvalid, $"$.data.lines[{i}].item_id", $"An id is a positive integer, got {itemId.GetRawText()}."));
                    }
                    i++;
                }
            }
            return;
        }

        if (d.Get(DataField.Currency) is { ValueKind: JsonValueKind.String } currency && !currency.ValueEquals("BRL"u8))
        {
            errors.Add(new ValidationError(ValidationCodes.CurrencyUnsupported, "$.data.currency", $"Currency must be BRL, not '{currency.GetString()}'."));
        }

        var rentalDays = type == EventTypes.RentalStarted ? CheckRental(d.Get(DataField.Rental), d.Get(DataField.TransactionId), errors) : null;
        // A late fee payment has no lines (the schema keeps them empty) and its total is the fee, not their sum: any
        // line it carries is the schema's error alone.
        var linesSum = type == EventTypes.LateFeePaid ? null : CheckLines(d.Get(DataField.Lines), rentalDays, errors);
        var total = Money(d.Get(DataField.Total));
        if (linesSum is { } sum && total is { } t && sum != t)
        {
            errors.Add(new ValidationError(ValidationCodes.TotalMismatch, "$.data.total", $"Total {t} is not the sum of the line totals ({sum})."));
        }
        var payment = d.Get(DataField.Payment);
        if (payment.ValueKind == JsonValueKind.Object
            && Money(payment, "amount"u8) is { } amount && total is { } t2 && amount != t2)
        {
            errors.Add(new ValidationError(ValidationCodes.PaymentAmountMismatch, "$.data.payment.amount", $"Payment amount {amount} differs from the total {t2}."));
        }
        if (type == EventTypes.RentalReturned) CheckReturn(d.Get(DataField.Return), total, payment, errors);
        else if (type == EventTypes.LateFeePaid) CheckLateFeePayment(d.Get(DataField.Return), total, payment, errors);
    }

    private DateTimeOffset CheckFuture(DateTimeOffset occurredAt, DateTimeOffset now, List<ValidationError> errors)
    {
        if (occurredAt > now + options.MaxClockSkew)
        {
            errors.Add(new ValidationError(ValidationCodes.OccurredAtInFuture, "$.data.occurred_at",
                $"occurred_at {occurredAt:O} is more than {options.MaxClockSkew} ahead of the sink's clock ({now:O})."));
        }
        return occurredAt;
    }

    private static void CheckLocalDate(JsonElement localDateElement, JsonElement store, DateTimeOffset? occurredAt, List<ValidationError> errors)
    {
        if (occurredAt is null || Date(localDateElement) is not { } localDate) return;
        if (store.ValueKind != JsonValueKind.Object
            || !store.TryGetProperty("timezone"u8, out var tzElement) || tzElement.ValueKind != JsonValueKind.String) return;
        var (tzName, zone) = ZoneOf(tzElement);
        if (zone is null)
        {
            errors.Add(new ValidationError(ValidationCodes.StoreTimezoneUnknown, "$.data.store.timezone", $"'{tzName}' is not a known IANA timezone."));
            return;
        }
        var expected = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(occurredAt.Value, zone).DateTime);
        if (expected != localDate)
        {
            errors.Add(new ValidationError(ValidationCodes.LocalDateMismatch, "$.data.local_date",
                $"local_date {localDate:yyyy-MM-dd} is not the date of occurred_at in {tzName} ({expected:yyyy-MM-dd})."));
        }
    }

    private static (string Name, TimeZoneInfo? Zone) ZoneOf(JsonElement name)
    {
        var known = Volatile.Read(ref s_knownZones);
        foreach (var (utf8, n, z) in known)
        {
            if (name.ValueEquals(utf8)) return (n, z);
        }
        var text = name.GetString()!;
        if (!TimeZoneInfo.TryFindSystemTimeZoneById(text, out var zone)) return (text, null);
        // Lost to another thread's addition: the next look-up adds it.
        if (known.Length < MaxKnownZones) Interlocked.CompareExchange(ref s_knownZones, [.. known, (System.Text.Encoding.UTF8.GetBytes(text), text, zone)], known);
        return (text, zone);
    }

    /// <summary>Checks every line; returns Σ line_total when every line has one (null otherwise).</summary>
    private static decimal? CheckLines(JsonElement lines, int? rentalDays, List<ValidationError> errors)
    {
        if (lines.ValueKind != JsonValueKind.Array) return null;
        decimal? sum = 0m;
        var i = 0;
        foreach (var line in lines.EnumerateArray())
        {
            if (line.ValueKind != JsonValueKind.Object) { sum = null; i++; continue; }
            var l = new JsonSlots();
            LineFields.Read(line, ref l);
            if (l.Get(LineField.LineNumber) is var number && number.ValueKind == JsonValueKind.Number && number.TryGetInt64(out var n) && n != i + 1)
            {
                errors.Add(new ValidationError(ValidationCodes.LineNumberInvalid, P(i, "line_number"), $"Line numbers run 1, 2, 3…; expected {i + 1}, got {n}."));
            }
            if (l.Get(LineField.ItemId) is var itemId && itemId.ValueKind == JsonValueKind.Number && (!itemId.TryGetInt64(out var iv) || iv <= 0))
            {
                errors.Add(new ValidationError(ValidationCodes.IdInvalid, P(i, "item_id"), $"An id is a positive integer, got {itemId.GetRawText()}."));
            }
            long? quantity = null;
            if (l.Get(LineField.Quantity) is var q && q.ValueKind == JsonValueKind.Number)
            {
                if (q.TryGetInt64(out var qv) && qv > 0) quantity = qv;
                else if (!q.TryGetDecimal(out var qd) || qd <= 0)
                {
                    errors.Add(new ValidationError(ValidationCodes.QuantityNotPositive, P(i, "quantity"), $"Quantity must be a positive integer, got {q.GetRawText()}."));
                }
            }
            var unitPrice = Money(l.Get(LineField.UnitPrice));
            if (unitPrice < 0)
            {
                errors.Add(new ValidationError(ValidationCodes.UnitPriceNegative, P(i, "unit_price"), $"Unit price must be ≥ 0, got {unitPrice}."));
            }
            var discount = Money(l.Get(LineField.Discount));
            if (discount < 0)
            {
                errors.Add(new ValidationError(ValidationCodes.DiscountNegative, P(i, "discount"), $"Discount must be ≥ 0, got {discount}."));
            }
            var lineTotal = Money(l.Get(LineField.LineTotal));
            if (quantity is { } qq && unitPrice is { } up && discount is { } d && lineTotal is { } lt && qq * up - d != lt)
            {
                errors.Add(new ValidationError(ValidationCodes.LineTotalMismatch, P(i, "line_total"),
                    $"line_total {lt} is not quantity × unit_price − discount ({qq} × {up} − {d} = {qq * up - d})."));
            }
            if (rentalDays is { } days && unitPrice is { } rentPrice && Money(l.Get(LineField.DailyPrice)) is { } daily && days * daily != rentPrice)
            {
                errors.Add(new ValidationError(ValidationCodes.UnitPriceMismatch, P(i, "unit_price"),
                    $"A rental's unit_price is days × daily_price ({days} × {daily} = {days * daily}), got {rentPrice}."));
            }
            sum = lineTotal is { } t ? sum + t : null;
            i++;
        }
        return sum;
    }

    /// <summary>Checks the rental terms; returns the days when they are usable for the price rule.</summary>
    private int? CheckRental(JsonElement rental, JsonElement tid, List<ValidationError> errors)
    {
        if (rental.ValueKind != JsonValueKind.Object) return null;
        CheckUuid(rental, "rental_id"u8, "$.data.rental.rental_id", errors);
        if (rental.TryGetProperty("rental_id"u8, out var rid) && rid.ValueKind == JsonValueKind.String
            && tid.ValueKind == JsonValueKind.String
            && rid.TryGetGuid(out var r) && tid.TryGetGuid(out var t) && r != t)
        {
            errors.Add(new ValidationError(ValidationCodes.RentalIdMismatch, "$.data.rental.rental_id", "A rental's id is the id of the transaction that started it."));
        }
        int? days = null;
        if (rental.TryGetProperty("days"u8, out var d) && d.ValueKind == JsonValueKind.Number && d.TryGetInt32(out var dv))
        {
            if (dv < options.MinRentalDays || dv > options.MaxRentalDays)
            {
                errors.Add(new ValidationError(ValidationCodes.RentalPeriodOutOfRange, "$.data.rental.days",
                    $"Rental period {dv} days is outside the policy ({options.MinRentalDays}–{options.MaxRentalDays})."));
            }
            days = dv;
        }
        var start = Date(rental, "start_date"u8);
        var due = Date(rental, "due_date"u8);
        if (start is { } s && due is { } u)
        {
            if (u <= s)
            {
                errors.Add(new ValidationError(ValidationCodes.RentalDueDateInvalid, "$.data.rental.due_date", $"Due date {u:yyyy-MM-dd} is not after the start {s:yyyy-MM-dd}."));
            }
            else if (days is { } n && s.AddDays(n) != u)
            {
                errors.Add(new ValidationError(ValidationCodes.RentalDueDateInvalid, "$.data.rental.due_date", $"Due date must be start_date + days ({s.AddDays(n):yyyy-MM-dd}), got {u:yyyy-MM-dd}."));
            }
        }
        return days;
    }

    private static void CheckReturn(JsonElement ret, decimal? total, JsonElement payment, List<ValidationError> errors)
    {
        if (ret.ValueKind != JsonValueKind.Object) return;
        var lateFee = CheckReturnedRental(ret, errors);
        if (lateFee is { } fee && total is { } t && fee != t)
        {
            errors.Add(new ValidationError(ValidationCodes.LateFeeMismatch, "$.data.return.late_fee", $"Late fee {fee} is not the sum of the returned lines ({t})."));
        }
        if (lateFee > 0 && ret.TryGetProperty("late_days"u8, out var ld) && ld.ValueKind == JsonValueKind.Number && ld.TryGetInt32(out var lateDays) && lateDays == 0)
        {
            errors.Add(new ValidationError(ValidationCodes.LateFeeIncoherent, "$.data.return.late_fee", "A late fee without late days."));
        }
        if (ret.TryGetProperty("fee_paid"u8, out var paid) && paid.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            var hasPayment = payment.ValueKind == JsonValueKind.Object;
            if (paid.GetBoolean() != hasPayment)
            {
                errors.Add(new ValidationError(ValidationCodes.LateFeeIncoherent, "$.data.return.fee_paid",
                    hasPayment ? "A payment is present but fee_paid is false." : "fee_paid is true but there is no payment."));
            }
            else if (paid.GetBoolean() && lateFee == 0)
            {
                errors.Add(new ValidationError(ValidationCodes.LateFeeIncoherent, "$.data.return.fee_paid", "fee_paid is true but there is no late fee."));
            }
        }
    }

    /// <summary>
    /// A late fee payment pays, later, the whole fee its return left owed: <c>return</c> is that return as it was
    /// recorded, now paid. Its total is the fee (payment.amount is held to the total above). late_days ≥ 1,
    /// late_fee &gt; 0 and a payment object are the schema's; a value of the wrong type or range is its error alone.
    /// </summary>
    private static void CheckLateFeePayment(JsonElement ret, decimal? total, JsonElement payment, List<ValidationError> errors)
    {
        if (ret.ValueKind != JsonValueKind.Object) return;
        var lateFee = CheckReturnedRental(ret, errors);
        if (lateFee is { } fee && total is { } t && fee != t)
        {
            errors.Add(new ValidationError(ValidationCodes.LateFeeMismatch, "$.data.return.late_fee", $"Late fee {fee} is not the amount paid for it ({t}): a late fee payment pays the whole fee."));
        }
        if (payment.ValueKind == JsonValueKind.Object && ret.TryGetProperty("fee_paid"u8, out var paid) && paid.ValueKind == JsonValueKind.False)
        {
            errors.Add(new ValidationError(ValidationCodes.LateFeeIncoherent, "$.data.return.fee_paid", "A payment is present but fee_paid is false."));
        }
    }

    /// <summary>What a return and a late fee payment both say of the return: its rental id and its dates. Returns the late fee.</summary>
    private static decimal? CheckReturnedRental(JsonElement ret, List<ValidationError> errors)
    {
        CheckUuid(ret, "rental_id"u8, "$.data.return.rental_id", errors);
        if (Timestamp(ret, "rental_started_at"u8) is { } started && Timestamp(ret, "returned_at"u8) is { } returned && returned < started)
        {
            errors.Add(new ValidationError(ValidationCodes.ReturnBeforeRentalStart, "$.data.return.returned_at",
                $"Returned at {returned:O}, before the rental started ({started:O})."));
        }
        return Money(ret, "late_fee"u8);
    }

    private static string P(int line, string field) => $"$.data.lines[{line}].{field}";

    private static void CheckPositiveId(JsonElement obj, ReadOnlySpan<byte> name, string path, List<ValidationError> errors)
    {
        if (obj.TryGetProperty(name, out var id) && id.ValueKind == JsonValueKind.Number && (!id.TryGetInt64(out var v) || v <= 0))
        {
            errors.Add(new ValidationError(ValidationCodes.IdInvalid, path, $"An id is a positive integer, got {id.GetRawText()}."));
        }
    }

    private static void CheckUuid(JsonElement obj, ReadOnlySpan<byte> name, string path, List<ValidationError> errors) =>
        CheckUuid(obj.TryGetProperty(name, out var id) ? id : default, path, errors);

    /// <param name="id">The value, or a default element when the property is absent.</param>
    private static void CheckUuid(JsonElement id, string path, List<ValidationError> errors)
    {
        if (id.ValueKind == JsonValueKind.String && !id.TryGetGuid(out _))
        {
            errors.Add(new ValidationError(ValidationCodes.IdInvalid, path, $"'{id.GetString()}' is not a UUID (8-4-4-4-12 hex digits)."));
        }
    }

    internal static bool IsCanonicalUuid(string value) => value.Length == 36 && Guid.TryParseExact(value, "D", out _);

    private static decimal? Money(JsonElement obj, ReadOnlySpan<byte> name) => Money(obj.TryGetProperty(name, out var v) ? v : default);

    private static decimal? Money(JsonElement v) => v.ValueKind == JsonValueKind.Number && v.TryGetDecimal(out var d) ? d : null;

    private static DateOnly? Date(JsonElement obj, ReadOnlySpan<byte> name) => Date(obj.TryGetProperty(name, out var v) ? v : default);

    private static DateOnly? Date(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.String) return null;
        Span<byte> buffer = stackalloc byte[32];
        if (CanonicalText.TryGetUtf8(v, buffer, out var text) && CanonicalText.TryParseDate(text, out var canonical)) return canonical;
        return DateOnly.TryParseExact(v.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d) ? d : null;
    }

    private static DateTimeOffset? Timestamp(JsonElement obj, ReadOnlySpan<byte> name) => Timestamp(obj.TryGetProperty(name, out var v) ? v : default);

    /// <summary>A timestamp in the ledger's form is read from its bytes; any other form by the document's parser.</summary>
    private static DateTimeOffset? Timestamp(JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.String) return null;
        if (CanonicalText.TryParseUtcTimestamp(JsonMarshal.GetRawUtf8Value(v)[1..^1], out var canonical)) return canonical;
        return v.TryGetDateTimeOffset(out var t) ? t : null;
    }
}
