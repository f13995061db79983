using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Sink.Transform;

/// <summary>Where a message came from, kept with every row and every rejection.</summary>
public sealed record MessageSource(string Transport, string? Topic, string? MessageId);

/// <summary>
/// The analytics shape: one row per transaction (refusals included, outcome = refused) with its lines as a
/// REPEATED RECORD, store/employee/customer/payment/rental/return flattened into typed columns, money as exact
/// NUMERIC strings, and ingestion metadata. sink/bigquery/transactions.schema.json is this shape;
/// docs/analytics.md says why. The row is written straight from the validated JsonElement with a
/// Utf8JsonWriter: no intermediate object per event.
/// </summary>
public static class AnalyticsRow
{
    // The row's structure is fixed by this code (TransformTests parse every shape); the writer need not check it
    // on every property of every event.
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = true };

    private enum DataField { TransactionId, TransactionType, AttemptedType, OccurredAt, LocalDate, Store, Employee, Customer, Currency, Lines, Total, Payment, Rental, Return, Refusal, RentalId, Days }

    private static readonly JsonFields<DataField> DataFields = new("transaction_id", "transaction_type", "attempted_type", "occurred_at", "local_date",
        "store", "employee", "customer", "currency", "lines", "total", "payment", "rental", "return", "refusal", "rental_id", "days");

    private enum EnvelopeField { Id, Source, Type, Time, Data }

    private static readonly JsonFields<EnvelopeField> EnvelopeFields = new("id", "source", "type", "time", "data");

    private enum StoreField { Id, Name, City, State, Timezone }

    private static readonly JsonFields<StoreField> StoreFields = new("id", "name", "city", "state", "timezone");

    private enum LineField { LineNumber, ItemId, Title, MediaType, Genre, Quantity, UnitPrice, Discount, LineTotal, DailyPrice }

    private static readonly JsonFields<LineField> LineFields = new("line_number", "item_id", "title", "media_type", "genre", "quantity",
        "unit_price", "discount", "line_total", "daily_price");

    // One writer per thread, reset onto each row's buffer: the row costs no writer allocation.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Copies a value's JSON text as it is in the event (the parser checked it): no string decoded, re-escaped and
    /// re-encoded. The text may keep the producer's escapes (<c>\u00E3</c> or <c>ã</c>); both are the same JSON string.
    /// </summary>
    private static void Copy(Utf8JsonWriter w, ReadOnlySpan<byte> name, JsonElement value)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(JsonMarshal.GetRawUtf8Value(value), skipInputValidation: true);
    }

    /// <summary>Writes one NDJSON line (terminated by '\n') for a valid event.</summary>
    public static void Write(IBufferWriter<byte> output, JsonElement envelope, MessageSource source, DateTimeOffset ingestedAt)
    {
        var e = new JsonSlots();
        EnvelopeFields.Read(envelope, ref e);
        var type = e.Get(EnvelopeField.Type).GetString()!;
        var refused = type == EventTypes.TransactionRefused;
        var data = new JsonSlots();
        DataFields.Read(e.Get(EnvelopeField.Data), ref data);
        var w = t_writer ??= new Utf8JsonWriter(output, WriterOptions);
        w.Reset(output);
        {
            w.WriteStartObject();
            Copy(w, "event_id"u8, e.Get(EnvelopeField.Id));
            Copy(w, "event_source"u8, e.Get(EnvelopeField.Source));
            if (e.Get(EnvelopeField.Time) is { ValueKind: JsonValueKind.String } time && time.TryGetDateTimeOffset(out var t)) WriteTimestamp(w, "event_time"u8, t);
            else w.WriteNull("event_time"u8);

            Copy(w, "transaction_id"u8, data.Get(DataField.TransactionId));
            Copy(w, "transaction_type"u8, data.Get(refused ? DataField.AttemptedType : DataField.TransactionType));
            w.WriteString("outcome"u8, refused ? "refused"u8 : "accepted"u8);
            WriteTimestamp(w, "occurred_at"u8, data.Get(DataField.OccurredAt).GetDateTimeOffset());
            Copy(w, "local_date"u8, data.Get(DataField.LocalDate));

            var store = new JsonSlots();
            StoreFields.Read(data.Get(DataField.Store), ref store);
            w.WriteNumber("store_id"u8, store.Get(StoreField.Id).GetInt64());
            Copy(w, "store_name"u8, store.Get(StoreField.Name));
            Copy(w, "store_city"u8, store.Get(StoreField.City));
            Copy(w, "store_state"u8, store.Get(StoreField.State));
            Copy(w, "store_timezone"u8, store.Get(StoreField.Timezone));

            var employee = data.Get(DataField.Employee);
            if (employee.ValueKind == JsonValueKind.Object)
            {
                w.WriteNumber("employee_id"u8, employee.GetProperty("id"u8).GetInt64());
                Copy(w, "employee_role"u8, employee.GetProperty("role"u8));
            }
            else
            {
                w.WriteNull("employee_id"u8);
                w.WriteNull("employee_role"u8);
            }
            var customer = data.Get(DataField.Customer);
            if (customer.ValueKind == JsonValueKind.Object) Copy(w, "customer_key"u8, customer.GetProperty("key"u8));
            else w.WriteNull("customer_key"u8);

            if (refused)
            {
                w.WriteNull("currency"u8);
                w.WriteNull("total"u8);
            }
            else
            {
                Copy(w, "currency"u8, data.Get(DataField.Currency));
                WriteMoney(w, "total"u8, data.Get(DataField.Total));
            }

            WriteLines(w, data.Get(DataField.Lines), refused);

            var payment = refused ? default : data.Get(DataField.Payment);
            if (payment.ValueKind == JsonValueKind.Object)
            {
                Copy(w, "payment_method"u8, payment.GetProperty("method"u8));
                w.WriteNumber("payment_installments"u8, payment.GetProperty("installments"u8).GetInt64());
                WriteMoney(w, "payment_amount"u8, payment.GetProperty("amount"u8));
            }
            else
            {
                w.WriteNull("payment_method"u8);
                w.WriteNull("payment_installments"u8);
                w.WriteNull("payment_amount"u8);
            }

            WriteRentalAndReturn(w, type, ref data);

            if (refused)
            {
                var refusal = data.Get(DataField.Refusal);
                Copy(w, "refusal_code"u8, refusal.GetProperty("code"u8));
                Copy(w, "refusal_message"u8, refusal.GetProperty("message"u8));
                WriteNullableInt(w, "refusal_item_id"u8, refusal.GetProperty("item_id"u8));
            }
            else
            {
                w.WriteNull("refusal_code"u8);
                w.WriteNull("refusal_message"u8);
                w.WriteNull("refusal_item_id"u8);
            }

            WriteTimestamp(w, "ingested_at"u8, ingestedAt);
            w.WriteString("source_transport"u8, source.Transport);
            if (source.Topic is null) w.WriteNull("source_topic"u8); else w.WriteString("source_topic"u8, source.Topic);
            if (source.MessageId is null) w.WriteNull("source_message_id"u8); else w.WriteString("source_message_id"u8, source.MessageId);
            w.WriteEndObject();
            w.Flush();
        }
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    private static void WriteLines(Utf8JsonWriter w, JsonElement lines, bool refused)
    {
        long itemCount = 0;
        w.WriteStartArray("lines"u8);
        var number = 0;
        foreach (var element in lines.EnumerateArray())
        {
            var line = new JsonSlots();
            LineFields.Read(element, ref line);
            number++;
            w.WriteStartObject();
            w.WriteNumber("line_number"u8, refused ? number : line.Get(LineField.LineNumber).GetInt64());
            w.WriteNumber("item_id"u8, line.Get(LineField.ItemId).GetInt64());
            WriteNullableString(w, "title"u8, line.Get(LineField.Title));
            WriteNullableString(w, "media_type"u8, line.Get(LineField.MediaType));
            WriteNullableString(w, "genre"u8, line.Get(LineField.Genre));
            var quantity = line.Get(LineField.Quantity).GetInt64();
            itemCount += quantity;
            w.WriteNumber("quantity"u8, quantity);
            if (refused)
            {
                w.WriteNull("unit_price"u8);
                w.WriteNull("discount"u8);
                w.WriteNull("line_total"u8);
                w.WriteNull("daily_price"u8);
            }
            else
            {
                WriteMoney(w, "unit_price"u8, line.Get(LineField.UnitPrice));
                WriteMoney(w, "discount"u8, line.Get(LineField.Discount));
                WriteMoney(w, "line_total"u8, line.Get(LineField.LineTotal));
                WriteMoney(w, "daily_price"u8, line.Get(LineField.DailyPrice));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("line_count"u8, number);
        w.WriteNumber("item_count"u8, itemCount);
    }

    private static void WriteRentalAndReturn(Utf8JsonWriter w, string type, ref JsonSlots data)
    {
        JsonElement rentalId = default, days = default, startDate = default, dueDate = default;
        JsonElement startedAt = default, returnedAt = default, lateDays = default, lateFee = default, feePaid = default;
        switch (type)
        {
            case EventTypes.RentalStarted:
                var rental = data.Get(DataField.Rental);
                rentalId = rental.GetProperty("rental_id"u8);
                days = rental.GetProperty("days"u8);
                startDate = rental.GetProperty("start_date"u8);
                dueDate = rental.GetProperty("due_date"u8);
                break;
            // A late fee payment names the return whose fee it pays, as that return described it (fee_paid now true).
            case EventTypes.RentalReturned or EventTypes.LateFeePaid:
                var ret = data.Get(DataField.Return);
                rentalId = ret.GetProperty("rental_id"u8);
                dueDate = ret.GetProperty("due_date"u8);
                startedAt = ret.GetProperty("rental_started_at"u8);
                returnedAt = ret.GetProperty("returned_at"u8);
                lateDays = ret.GetProperty("late_days"u8);
                lateFee = ret.GetProperty("late_fee"u8);
                feePaid = ret.GetProperty("fee_paid"u8);
                break;
            case EventTypes.TransactionRefused:
                rentalId = data.Get(DataField.RentalId);
                days = data.Get(DataField.Days);
                break;
        }
        WriteNullableString(w, "rental_id"u8, rentalId);
        WriteNullableInt(w, "rental_days"u8, days);
        WriteNullableString(w, "rental_start_date"u8, startDate);
        WriteNullableString(w, "rental_due_date"u8, dueDate);
        if (startedAt.ValueKind == JsonValueKind.String) WriteTimestamp(w, "rental_started_at"u8, startedAt.GetDateTimeOffset());
        else w.WriteNull("rental_started_at"u8);
        if (returnedAt.ValueKind == JsonValueKind.String) WriteTimestamp(w, "returned_at"u8, returnedAt.GetDateTimeOffset());
        else w.WriteNull("returned_at"u8);
        WriteNullableInt(w, "late_days"u8, lateDays);
        WriteMoney(w, "late_fee"u8, lateFee);
        if (feePaid.ValueKind is JsonValueKind.True or JsonValueKind.False) w.WriteBoolean("late_fee_paid"u8, feePaid.GetBoolean());
        else w.WriteNull("late_fee_paid"u8);
    }

    private static void WriteNullableString(Utf8JsonWriter w, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) Copy(w, name, value);
        else w.WriteNull(name);
    }

    private static void WriteNullableInt(Utf8JsonWriter w, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number) w.WriteNumber(name, value.GetInt64());
        else w.WriteNull(name);
    }

    /// <summary>NUMERIC as an exact decimal string with two places: no binary floating point between till and warehouse.</summary>
    private static void WriteMoney(Utf8JsonWriter w, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            w.WriteNull(name);
            return;
        }
        Span<byte> buffer = stackalloc byte[40];
        if (!TryMoneyText(JsonMarshal.GetRawUtf8Value(value), buffer, out var n))
        {
            value.GetDecimal().TryFormat(buffer, out n, "F2", CultureInfo.InvariantCulture);
        }
        w.WriteString(name, buffer[..n]);
    }

    /// <summary>
    /// The F2 text of a JSON number written with at most two decimals and no sign or exponent (every amount the
    /// ledger writes), padded on the bytes: what <c>decimal.ToString("F2")</c> gives, without parsing it. False
    /// for anything else, which goes through decimal.
    /// </summary>
    internal static bool TryMoneyText(ReadOnlySpan<byte> number, Span<byte> into, out int written)
    {
        written = 0;
        var dot = number.IndexOf((byte)'.');
        var whole = dot < 0 ? number : number[..dot];
        var fraction = dot < 0 ? [] : number[(dot + 1)..];
        if (whole.Length is 0 or > 20 || fraction.Length > 2 || (dot >= 0 && fraction.Length == 0)
            || whole.ContainsAnyExceptInRange((byte)'0', (byte)'9') || fraction.ContainsAnyExceptInRange((byte)'0', (byte)'9')) return false;
        whole.CopyTo(into);
        into[whole.Length] = (byte)'.';
        fraction.CopyTo(into[(whole.Length + 1)..]);
        for (var i = fraction.Length; i < 2; i++) into[whole.Length + 1 + i] = (byte)'0';
        written = whole.Length + 3;
        return true;
    }

    private static void WriteTimestamp(Utf8JsonWriter w, ReadOnlySpan<byte> name, DateTimeOffset value)
    {
        Span<byte> buffer = stackalloc byte[27];
        FormatTimestamp(value, buffer);
        w.WriteString(name, buffer);
    }

    /// <summary>
    /// <c>yyyy-MM-ddTHH:mm:ss.ffffffZ</c> in UTC (microseconds, truncated), the lake's TIMESTAMP text, without the
    /// culture-aware custom formatter.
    /// </summary>
    internal static void FormatTimestamp(DateTimeOffset value, Span<byte> utf8)
    {
        var t = value.UtcDateTime;
        Digits(utf8[..4], t.Year);
        utf8[4] = (byte)'-';
        Digits(utf8.Slice(5, 2), t.Month);
        utf8[7] = (byte)'-';
        Digits(utf8.Slice(8, 2), t.Day);
        utf8[10] = (byte)'T';
        Digits(utf8.Slice(11, 2), t.Hour);
        utf8[13] = (byte)':';
        Digits(utf8.Slice(14, 2), t.Minute);
        utf8[16] = (byte)':';
        Digits(utf8.Slice(17, 2), t.Second);
        utf8[19] = (byte)'.';
        Digits(utf8.Slice(20, 6), (int)(t.Ticks % TimeSpan.TicksPerSecond / 10));
        utf8[26] = (byte)'Z';

        static void Digits(Span<byte> into, int value)
        {
            for (var i = into.Length - 1; i >= 0; i--, value /= 10) into[i] = (byte)('0' + value % 10);
        }
    }
}
