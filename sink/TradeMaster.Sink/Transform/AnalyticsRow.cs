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

    /// <summary>
    /// The row's column names, escaped once: a name written as a <see cref="JsonEncodedText"/> is copied as it is,
    /// where a UTF-8 span is searched for characters to escape on every row (fifty names a row).
    /// </summary>
    private static class Names
    {
        public static readonly JsonEncodedText EventId = JsonEncodedText.Encode("event_id"u8);
        public static readonly JsonEncodedText EventSource = JsonEncodedText.Encode("event_source"u8);
        public static readonly JsonEncodedText EventTime = JsonEncodedText.Encode("event_time"u8);
        public static readonly JsonEncodedText TransactionId = JsonEncodedText.Encode("transaction_id"u8);
        public static readonly JsonEncodedText TransactionType = JsonEncodedText.Encode("transaction_type"u8);
        public static readonly JsonEncodedText Outcome = JsonEncodedText.Encode("outcome"u8);
        public static readonly JsonEncodedText OccurredAt = JsonEncodedText.Encode("occurred_at"u8);
        public static readonly JsonEncodedText LocalDate = JsonEncodedText.Encode("local_date"u8);
        public static readonly JsonEncodedText StoreId = JsonEncodedText.Encode("store_id"u8);
        public static readonly JsonEncodedText StoreName = JsonEncodedText.Encode("store_name"u8);
        public static readonly JsonEncodedText StoreCity = JsonEncodedText.Encode("store_city"u8);
        public static readonly JsonEncodedText StoreState = JsonEncodedText.Encode("store_state"u8);
        public static readonly JsonEncodedText StoreTimezone = JsonEncodedText.Encode("store_timezone"u8);
        public static readonly JsonEncodedText EmployeeId = JsonEncodedText.Encode("employee_id"u8);
        public static readonly JsonEncodedText EmployeeRole = JsonEncodedText.Encode("employee_role"u8);
        public static readonly JsonEncodedText CustomerKey = JsonEncodedText.Encode("customer_key"u8);
        public static readonly JsonEncodedText Currency = JsonEncodedText.Encode("currency"u8);
        public static readonly JsonEncodedText Total = JsonEncodedText.Encode("total"u8);
        public static readonly JsonEncodedText PaymentMethod = JsonEncodedText.Encode("payment_method"u8);
        public static readonly JsonEncodedText PaymentInstallments = JsonEncodedText.Encode("payment_installments"u8);
        public static readonly JsonEncodedText PaymentAmount = JsonEncodedText.Encode("payment_amount"u8);
        public static readonly JsonEncodedText RefusalCode = JsonEncodedText.Encode("refusal_code"u8);
        public static readonly JsonEncodedText RefusalMessage = JsonEncodedText.Encode("refusal_message"u8);
        public static readonly JsonEncodedText RefusalItemId = JsonEncodedText.Encode("refusal_item_id"u8);
        public static readonly JsonEncodedText IngestedAt = JsonEncodedText.Encode("ingested_at"u8);
        public static readonly JsonEncodedText SourceTransport = JsonEncodedText.Encode("source_transport"u8);
        public static readonly JsonEncodedText SourceTopic = JsonEncodedText.Encode("source_topic"u8);
        public static readonly JsonEncodedText SourceMessageId = JsonEncodedText.Encode("source_message_id"u8);
        public static readonly JsonEncodedText Lines = JsonEncodedText.Encode("lines"u8);
        public static readonly JsonEncodedText LineNumber = JsonEncodedText.Encode("line_number"u8);
        public static readonly JsonEncodedText ItemId = JsonEncodedText.Encode("item_id"u8);
        public static readonly JsonEncodedText Title = JsonEncodedText.Encode("title"u8);
        public static readonly JsonEncodedText MediaType = JsonEncodedText.Encode("media_type"u8);
        public static readonly JsonEncodedText Genre = JsonEncodedText.Encode("genre"u8);
        public static readonly JsonEncodedText Quantity = JsonEncodedText.Encode("quantity"u8);
        public static readonly JsonEncodedText UnitPrice = JsonEncodedText.Encode("unit_price"u8);
        public static readonly JsonEncodedText Discount = JsonEncodedText.Encode("discount"u8);
        public static readonly JsonEncodedText LineTotal = JsonEncodedText.Encode("line_total"u8);
        public static readonly JsonEncodedText DailyPrice = JsonEncodedText.Encode("daily_price"u8);
        public static readonly JsonEncodedText LineCount = JsonEncodedText.Encode("line_count"u8);
        public static readonly JsonEncodedText ItemCount = JsonEncodedText.Encode("item_count"u8);
        public static readonly JsonEncodedText RentalId = JsonEncodedText.Encode("rental_id"u8);
        public static readonly JsonEncodedText RentalDays = JsonEncodedText.Encode("rental_days"u8);
        public static readonly JsonEncodedText RentalStartDate = JsonEncodedText.Encode("rental_start_date"u8);
        public static readonly JsonEncodedText RentalDueDate = JsonEncodedText.Encode("rental_due_date"u8);
        public static readonly JsonEncodedText RentalStartedAt = JsonEncodedText.Encode("rental_started_at"u8);
        public static readonly JsonEncodedText ReturnedAt = JsonEncodedText.Encode("returned_at"u8);
        public static readonly JsonEncodedText LateDays = JsonEncodedText.Encode("late_days"u8);
        public static readonly JsonEncodedText LateFee = JsonEncodedText.Encode("late_fee"u8);
        public static readonly JsonEncodedText LateFeePaid = JsonEncodedText.Encode("late_fee_paid"u8);
    }

    private static readonly JsonEncodedText Refused = JsonEncodedText.Encode("refused"u8);
    private static readonly JsonEncodedText Accepted = JsonEncodedText.Encode("accepted"u8);

    // One writer per thread, reset onto each row's buffer: the row costs no writer allocation.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>
    /// Copies a value's JSON text as it is in the event (the parser checked it): no string decoded, re-escaped and
    /// re-encoded. The text may keep the producer's escapes (<c>\u00E3</c> or <c>ã</c>); both are the same JSON string.
    /// </summary>
    private static void Copy(Utf8JsonWriter w, JsonEncodedText name, JsonElement value) => WriteRaw(w, name, JsonMarshal.GetRawUtf8Value(value));

    /// <summary>A property whose value is JSON text this code made or the parser checked: written as it is.</summary>
    private static void WriteRaw(Utf8JsonWriter w, JsonEncodedText name, ReadOnlySpan<byte> json)
    {
        w.WritePropertyName(name);
        w.WriteRawValue(json, skipInputValidation: true);
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
            Copy(w, Names.EventId, e.Get(EnvelopeField.Id));
            Copy(w, Names.EventSource, e.Get(EnvelopeField.Source));
            if (e.Get(EnvelopeField.Time) is { ValueKind: JsonValueKind.String } time && time.TryGetDateTimeOffset(out var t)) WriteTimestamp(w, Names.EventTime, t);
            else w.WriteNull(Names.EventTime);

            Copy(w, Names.TransactionId, data.Get(DataField.TransactionId));
            Copy(w, Names.TransactionType, data.Get(refused ? DataField.AttemptedType : DataField.TransactionType));
            w.WriteString(Names.Outcome, refused ? Refused : Accepted);
            WriteTimestamp(w, Names.OccurredAt, data.Get(DataField.OccurredAt).GetDateTimeOffset());
            Copy(w, Names.LocalDate, data.Get(DataField.LocalDate));

            var store = new JsonSlots();
            StoreFields.Read(data.Get(DataField.Store), ref store);
            w.WriteNumber(Names.StoreId, store.Get(StoreField.Id).GetInt64());
            Copy(w, Names.StoreName, store.Get(StoreField.Name));
            Copy(w, Names.StoreCity, store.Get(StoreField.City));
            Copy(w, Names.StoreState, store.Get(StoreField.State));
            Copy(w, Names.StoreTimezone, store.Get(StoreField.Timezone));

            var employee = data.Get(DataField.Employee);
            if (employee.ValueKind == JsonValueKind.Object)
            {
                w.WriteNumber(Names.EmployeeId, employee.GetProperty("id"u8).GetInt64());
                Copy(w, Names.EmployeeRole, employee.GetProperty("role"u8));
            }
            else
            {
                w.WriteNull(Names.EmployeeId);
                w.WriteNull(Names.EmployeeRole);
            }
            var customer = data.Get(DataField.Customer);
            if (customer.ValueKind == JsonValueKind.Object) Copy(w, Names.CustomerKey, customer.GetProperty("key"u8));
            else w.WriteNull(Names.CustomerKey);

            if (refused)
            {
                w.WriteNull(Names.Currency);
                w.WriteNull(Names.Total);
            }
            else
            {
                Copy(w, Names.Currency, data.Get(DataField.Currency));
                WriteMoney(w, Names.Total, data.Get(DataField.Total));
            }

            WriteLines(w, data.Get(DataField.Lines), refused);

            var payment = refused ? default : data.Get(DataField.Payment);
            if (payment.ValueKind == JsonValueKind.Object)
            {
                Copy(w, Names.PaymentMethod, payment.GetProperty("method"u8));
                w.WriteNumber(Names.PaymentInstallments, payment.GetProperty("installments"u8).GetInt64());
                WriteMoney(w, Names.PaymentAmount, payment.GetProperty("amount"u8));
            }
            else
            {
                w.WriteNull(Names.PaymentMethod);
                w.WriteNull(Names.PaymentInstallments);
                w.WriteNull(Names.PaymentAmount);
            }

            WriteRentalAndReturn(w, type, ref data);

            if (refused)
            {
                var refusal = data.Get(DataField.Refusal);
                Copy(w, Names.RefusalCode, refusal.GetProperty("code"u8));
                Copy(w, Names.RefusalMessage, refusal.GetProperty("message"u8));
                WriteNullableInt(w, Names.RefusalItemId, refusal.GetProperty("item_id"u8));
            }
            else
            {
                w.WriteNull(Names.RefusalCode);
                w.WriteNull(Names.RefusalMessage);
                w.WriteNull(Names.RefusalItemId);
            }

            WriteTimestamp(w, Names.IngestedAt, ingestedAt);
            w.WriteString(Names.SourceTransport, source.Transport);
            if (source.Topic is null) w.WriteNull(Names.SourceTopic); else w.WriteString(Names.SourceTopic, source.Topic);
            if (source.MessageId is null) w.WriteNull(Names.SourceMessageId); else w.WriteString(Names.SourceMessageId, source.MessageId);
            w.WriteEndObject();
            w.Flush();
        }
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    private static void WriteLines(Utf8JsonWriter w, JsonElement lines, bool refused)
    {
        long itemCount = 0;
        w.WriteStartArray(Names.Lines);
        var number = 0;
        foreach (var element in lines.EnumerateArray())
        {
            var line = new JsonSlots();
            LineFields.Read(element, ref line);
            number++;
            w.WriteStartObject();
            w.WriteNumber(Names.LineNumber, refused ? number : line.Get(LineField.LineNumber).GetInt64());
            w.WriteNumber(Names.ItemId, line.Get(LineField.ItemId).GetInt64());
            WriteNullableString(w, Names.Title, line.Get(LineField.Title));
            WriteNullableString(w, Names.MediaType, line.Get(LineField.MediaType));
            WriteNullableString(w, Names.Genre, line.Get(LineField.Genre));
            var quantity = line.Get(LineField.Quantity).GetInt64();
            itemCount += quantity;
            w.WriteNumber(Names.Quantity, quantity);
            if (refused)
            {
                w.WriteNull(Names.UnitPrice);
                w.WriteNull(Names.Discount);
                w.WriteNull(Names.LineTotal);
                w.WriteNull(Names.DailyPrice);
            }
            else
            {
                WriteMoney(w, Names.UnitPrice, line.Get(LineField.UnitPrice));
                WriteMoney(w, Names.Discount, line.Get(LineField.Discount));
                WriteMoney(w, Names.LineTotal, line.Get(LineField.LineTotal));
                WriteMoney(w, Names.DailyPrice, line.Get(LineField.DailyPrice));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber(Names.LineCount, number);
        w.WriteNumber(Names.ItemCount, itemCount);
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
        WriteNullableString(w, Names.RentalId, rentalId);
        WriteNullableInt(w, Names.RentalDays, days);
        WriteNullableString(w, Names.RentalStartDate, startDate);
        WriteNullableString(w, Names.RentalDueDate, dueDate);
        if (startedAt.ValueKind == JsonValueKind.String) WriteTimestamp(w, Names.RentalStartedAt, startedAt.GetDateTimeOffset());
        else w.WriteNull(Names.RentalStartedAt);
        if (returnedAt.ValueKind == JsonValueKind.String) WriteTimestamp(w, Names.ReturnedAt, returnedAt.GetDateTimeOffset());
        else w.WriteNull(Names.ReturnedAt);
        WriteNullableInt(w, Names.LateDays, lateDays);
        WriteMoney(w, Names.LateFee, lateFee);
        if (feePaid.ValueKind is JsonValueKind.True or JsonValueKind.False) w.WriteBoolean(Names.LateFeePaid, feePaid.GetBoolean());
        else w.WriteNull(Names.LateFeePaid);
    }

    private static void WriteNullableString(Utf8JsonWriter w, JsonEncodedText name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) Copy(w, name, value);
        else w.WriteNull(name);
    }

    private static void WriteNullableInt(Utf8JsonWriter w, JsonEncodedText name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number) w.WriteNumber(name, value.GetInt64());
        else w.WriteNull(name);
    }

    /// <summary>NUMERIC as an exact decimal string with two places: no binary floating point between till and warehouse.</summary>
    private static void WriteMoney(Utf8JsonWriter w, JsonEncodedText name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            w.WriteNull(name);
            return;
        }
        // Digits and a point between quotes, nothing to escape: written as the raw JSON string it is.
        Span<byte> buffer = stackalloc byte[42];
        buffer[0] = (byte)'"';
        if (!TryMoneyText(JsonMarshal.GetRawUtf8Value(value), buffer[1..], out var n))
        {
            value.GetDecimal().TryFormat(buffer[1..], out n, "F2", CultureInfo.InvariantCulture);
        }
        buffer[n + 1] = (byte)'"';
        WriteRaw(w, name, buffer[..(n + 2)]);
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

    private static void WriteTimestamp(Utf8JsonWriter w, JsonEncodedText name, DateTimeOffset value)
    {
        // As with money: ASCII digits and separators between quotes, written raw.
        Span<byte> buffer = stackalloc byte[29];
        buffer[0] = (byte)'"';
        FormatTimestamp(value, buffer[1..28]);
        buffer[28] = (byte)'"';
        WriteRaw(w, name, buffer);
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
