using System.Buffers;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using TradeMaster.Contracts.Events;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Sink.Transform;

/// <summary>Where a message came from, kept with every row and every rejection.</summary>
public sealed record MessageSource(string Transport, string? Topic, string? MessageId);

/// <summary>
/// The analytics shape: one row per transaction (refusals included, outcome = refused) with its lines as a
/// REPEATED RECORD, store/employee/customer/payment/rental/return flattened into typed columns, money as exact
/// NUMERIC strings, and ingestion metadata. sink/bigquery/transactions.schema.json is this shape;
/// docs/analytics.md says why. The row is written straight from the validated JsonElement into the output
/// (<see cref="RowText"/>): no intermediate object per event.
/// </summary>
public static class AnalyticsRow
{
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

    /// <summary>The row's column names with their quotes and colon, as <see cref="RowText"/> takes them.</summary>
    private static class Names
    {
        public static ReadOnlySpan<byte> EventId => "\"event_id\":"u8;
        public static ReadOnlySpan<byte> EventSource => "\"event_source\":"u8;
        public static ReadOnlySpan<byte> EventTime => "\"event_time\":"u8;
        public static ReadOnlySpan<byte> TransactionId => "\"transaction_id\":"u8;
        public static ReadOnlySpan<byte> TransactionType => "\"transaction_type\":"u8;
        public static ReadOnlySpan<byte> Outcome => "\"outcome\":"u8;
        public static ReadOnlySpan<byte> OccurredAt => "\"occurred_at\":"u8;
        public static ReadOnlySpan<byte> LocalDate => "\"local_date\":"u8;
        public static ReadOnlySpan<byte> StoreId => "\"store_id\":"u8;
        public static ReadOnlySpan<byte> StoreName => "\"store_name\":"u8;
        public static ReadOnlySpan<byte> StoreCity => "\"store_city\":"u8;
        public static ReadOnlySpan<byte> StoreState => "\"store_state\":"u8;
        public static ReadOnlySpan<byte> StoreTimezone => "\"store_timezone\":"u8;
        public static ReadOnlySpan<byte> EmployeeId => "\"employee_id\":"u8;
        public static ReadOnlySpan<byte> EmployeeRole => "\"employee_role\":"u8;
        public static ReadOnlySpan<byte> CustomerKey => "\"customer_key\":"u8;
        public static ReadOnlySpan<byte> Currency => "\"currency\":"u8;
        public static ReadOnlySpan<byte> Total => "\"total\":"u8;
        public static ReadOnlySpan<byte> PaymentMethod => "\"payment_method\":"u8;
        public static ReadOnlySpan<byte> PaymentInstallments => "\"payment_installments\":"u8;
        public static ReadOnlySpan<byte> PaymentAmount => "\"payment_amount\":"u8;
        public static ReadOnlySpan<byte> RefusalCode => "\"refusal_code\":"u8;
        public static ReadOnlySpan<byte> RefusalMessage => "\"refusal_message\":"u8;
        public static ReadOnlySpan<byte> RefusalItemId => "\"refusal_item_id\":"u8;
        public static ReadOnlySpan<byte> IngestedAt => "\"ingested_at\":"u8;
        public static ReadOnlySpan<byte> SourceTransport => "\"source_transport\":"u8;
        public static ReadOnlySpan<byte> SourceTopic => "\"source_topic\":"u8;
        public static ReadOnlySpan<byte> SourceMessageId => "\"source_message_id\":"u8;
        public static ReadOnlySpan<byte> Lines => "\"lines\":"u8;
        public static ReadOnlySpan<byte> LineNumber => "\"line_number\":"u8;
        public static ReadOnlySpan<byte> ItemId => "\"item_id\":"u8;
        public static ReadOnlySpan<byte> Title => "\"title\":"u8;
        public static ReadOnlySpan<byte> MediaType => "\"media_type\":"u8;
        public static ReadOnlySpan<byte> Genre => "\"genre\":"u8;
        public static ReadOnlySpan<byte> Quantity => "\"quantity\":"u8;
        public static ReadOnlySpan<byte> UnitPrice => "\"unit_price\":"u8;
        public static ReadOnlySpan<byte> Discount => "\"discount\":"u8;
        public static ReadOnlySpan<byte> LineTotal => "\"line_total\":"u8;
        public static ReadOnlySpan<byte> DailyPrice => "\"daily_price\":"u8;
        public static ReadOnlySpan<byte> LineCount => "\"line_count\":"u8;
        public static ReadOnlySpan<byte> ItemCount => "\"item_count\":"u8;
        public static ReadOnlySpan<byte> RentalId => "\"rental_id\":"u8;
        public static ReadOnlySpan<byte> RentalDays => "\"rental_days\":"u8;
        public static ReadOnlySpan<byte> RentalStartDate => "\"rental_start_date\":"u8;
        public static ReadOnlySpan<byte> RentalDueDate => "\"rental_due_date\":"u8;
        public static ReadOnlySpan<byte> RentalStartedAt => "\"rental_started_at\":"u8;
        public static ReadOnlySpan<byte> ReturnedAt => "\"returned_at\":"u8;
        public static ReadOnlySpan<byte> LateDays => "\"late_days\":"u8;
        public static ReadOnlySpan<byte> LateFee => "\"late_fee\":"u8;
        public static ReadOnlySpan<byte> LateFeePaid => "\"late_fee_paid\":"u8;
    }

    // The known types as UTF-8, with the string each one is: the type is read without making a string.
    private static readonly (byte[] Utf8, string Type)[] KnownTypes = [.. EventTypes.All.Select(t => (System.Text.Encoding.UTF8.GetBytes(t), t))];

    /// <summary>
    /// Copies a value's JSON text as it is in the event (the parser checked it): no string decoded, re-escaped and
    /// re-encoded. The text may keep the producer's escapes (<c>\u00E3</c> or <c>ã</c>); both are the same JSON string.
    /// </summary>
    private static void Copy(ref RowText w, ReadOnlySpan<byte> name, JsonElement value) => w.Raw(name, JsonMarshal.GetRawUtf8Value(value));

    /// <summary>Writes one NDJSON line (terminated by '\n') for a valid event.</summary>
    public static void Write(IBufferWriter<byte> output, JsonElement envelope, MessageSource source, DateTimeOffset ingestedAt)
    {
        var e = new JsonSlots();
        EnvelopeFields.Read(envelope, ref e);
        var type = TypeOf(e.Get(EnvelopeField.Type));
        var refused = type == EventTypes.TransactionRefused;
        var data = new JsonSlots();
        DataFields.Read(e.Get(EnvelopeField.Data), ref data);
        var w = new RowText(output);
        w.StartObject();
        Copy(ref w, Names.EventId, e.Get(EnvelopeField.Id));
        Copy(ref w, Names.EventSource, e.Get(EnvelopeField.Source));
        if (e.Get(EnvelopeField.Time) is { ValueKind: JsonValueKind.String } time) WriteTimestamp(ref w, Names.EventTime, time);
        else w.Null(Names.EventTime);

        Copy(ref w, Names.TransactionId, data.Get(DataField.TransactionId));
        Copy(ref w, Names.TransactionType, data.Get(refused ? DataField.AttemptedType : DataField.TransactionType));
        w.Raw(Names.Outcome, refused ? "\"refused\""u8 : "\"accepted\""u8);
        WriteTimestamp(ref w, Names.OccurredAt, data.Get(DataField.OccurredAt));
        Copy(ref w, Names.LocalDate, data.Get(DataField.LocalDate));

        var store = new JsonSlots();
        StoreFields.Read(data.Get(DataField.Store), ref store);
        w.Number(Names.StoreId, store.Get(StoreField.Id).GetInt64());
        Copy(ref w, Names.StoreName, store.Get(StoreField.Name));
        Copy(ref w, Names.StoreCity, store.Get(StoreField.City));
        Copy(ref w, Names.StoreState, store.Get(StoreField.State));
        Copy(ref w, Names.StoreTimezone, store.Get(StoreField.Timezone));

        var employee = data.Get(DataField.Employee);
        if (employee.ValueKind == JsonValueKind.Object)
        {
            w.Number(Names.EmployeeId, employee.GetProperty("id"u8).GetInt64());
            Copy(ref w, Names.EmployeeRole, employee.GetProperty("role"u8));
        }
        else
        {
            w.Null(Names.EmployeeId);
            w.Null(Names.EmployeeRole);
        }
        var customer = data.Get(DataField.Customer);
        if (customer.ValueKind == JsonValueKind.Object) Copy(ref w, Names.CustomerKey, customer.GetProperty("key"u8));
        else w.Null(Names.CustomerKey);

        if (refused)
        {
            w.Null(Names.Currency);
            w.Null(Names.Total);
        }
        else
        {
            Copy(ref w, Names.Currency, data.Get(DataField.Currency));
            WriteMoney(ref w, Names.Total, data.Get(DataField.Total));
        }

        WriteLines(ref w, data.Get(DataField.Lines), refused);

        var payment = refused ? default : data.Get(DataField.Payment);
        if (payment.ValueKind == JsonValueKind.Object)
        {
            Copy(ref w, Names.PaymentMethod, payment.GetProperty("method"u8));
            w.Number(Names.PaymentInstallments, payment.GetProperty("installments"u8).GetInt64());
            WriteMoney(ref w, Names.PaymentAmount, payment.GetProperty("amount"u8));
        }
        else
        {
            w.Null(Names.PaymentMethod);
            w.Null(Names.PaymentInstallments);
            w.Null(Names.PaymentAmount);
        }

        WriteRentalAndReturn(ref w, type, ref data);

        if (refused)
        {
            var refusal = data.Get(DataField.Refusal);
            Copy(ref w, Names.RefusalCode, refusal.GetProperty("code"u8));
            Copy(ref w, Names.RefusalMessage, refusal.GetProperty("message"u8));
            WriteNullableInt(ref w, Names.RefusalItemId, refusal.GetProperty("item_id"u8));
        }
        else
        {
            w.Null(Names.RefusalCode);
            w.Null(Names.RefusalMessage);
            w.Null(Names.RefusalItemId);
        }

        WriteTimestamp(ref w, Names.IngestedAt, ingestedAt);
        w.String(Names.SourceTransport, source.Transport);
        if (source.Topic is null) w.Null(Names.SourceTopic); else w.String(Names.SourceTopic, source.Topic);
        if (source.MessageId is null) w.Null(Names.SourceMessageId); else w.String(Names.SourceMessageId, source.MessageId);
        w.EndObject();
        w.Flush();
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    private static string TypeOf(JsonElement type)
    {
        foreach (var (utf8, known) in KnownTypes)
        {
            if (type.ValueEquals(utf8)) return known;
        }
        return type.GetString()!;
    }

    private static void WriteLines(ref RowText w, JsonElement lines, bool refused)
    {
        long itemCount = 0;
        w.StartArray(Names.Lines);
        var number = 0;
        foreach (var element in lines.EnumerateArray())
        {
            var line = new JsonSlots();
            LineFields.Read(element, ref line);
            number++;
            w.StartObject();
            w.Number(Names.LineNumber, refused ? number : line.Get(LineField.LineNumber).GetInt64());
            w.Number(Names.ItemId, line.Get(LineField.ItemId).GetInt64());
            WriteNullableString(ref w, Names.Title, line.Get(LineField.Title));
            WriteNullableString(ref w, Names.MediaType, line.Get(LineField.MediaType));
            WriteNullableString(ref w, Names.Genre, line.Get(LineField.Genre));
            var quantity = line.Get(LineField.Quantity).GetInt64();
            itemCount += quantity;
            w.Number(Names.Quantity, quantity);
            if (refused)
            {
                w.Null(Names.UnitPrice);
                w.Null(Names.Discount);
                w.Null(Names.LineTotal);
                w.Null(Names.DailyPrice);
            }
            else
            {
                WriteMoney(ref w, Names.UnitPrice, line.Get(LineField.UnitPrice));
                WriteMoney(ref w, Names.Discount, line.Get(LineField.Discount));
                WriteMoney(ref w, Names.LineTotal, line.Get(LineField.LineTotal));
                WriteMoney(ref w, Names.DailyPrice, line.Get(LineField.DailyPrice));
            }
            w.EndObject();
        }
        w.EndArray();
        w.Number(Names.LineCount, number);
        w.Number(Names.ItemCount, itemCount);
    }

    private static void WriteRentalAndReturn(ref RowText w, string type, ref JsonSlots data)
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
        WriteNullableString(ref w, Names.RentalId, rentalId);
        WriteNullableInt(ref w, Names.RentalDays, days);
        WriteNullableString(ref w, Names.RentalStartDate, startDate);
        WriteNullableString(ref w, Names.RentalDueDate, dueDate);
        if (startedAt.ValueKind == JsonValueKind.String) WriteTimestamp(ref w, Names.RentalStartedAt, startedAt);
        else w.Null(Names.RentalStartedAt);
        if (returnedAt.ValueKind == JsonValueKind.String) WriteTimestamp(ref w, Names.ReturnedAt, returnedAt);
        else w.Null(Names.ReturnedAt);
        WriteNullableInt(ref w, Names.LateDays, lateDays);
        WriteMoney(ref w, Names.LateFee, lateFee);
        if (feePaid.ValueKind is JsonValueKind.True or JsonValueKind.False) w.Boolean(Names.LateFeePaid, feePaid.GetBoolean());
        else w.Null(Names.LateFeePaid);
    }

    private static void WriteNullableString(ref RowText w, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) Copy(ref w, name, value);
        else w.Null(name);
    }

    private static void WriteNullableInt(ref RowText w, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number) w.Number(name, value.GetInt64());
        else w.Null(name);
    }

    /// <summary>NUMERIC as an exact decimal string with two places: no binary floating point between till and warehouse.</summary>
    private static void WriteMoney(ref RowText w, ReadOnlySpan<byte> name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            w.Null(name);
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
        w.Raw(name, buffer[..(n + 2)]);
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

    private static void WriteTimestamp(ref RowText w, ReadOnlySpan<byte> name, DateTimeOffset value)
    {
        // As with money: ASCII digits and separators between quotes, written raw.
        Span<byte> buffer = stackalloc byte[29];
        buffer[0] = (byte)'"';
        FormatTimestamp(value, buffer[1..28]);
        buffer[28] = (byte)'"';
        w.Raw(name, buffer);
    }

    /// <summary>
    /// A JSON string holding a timestamp, in the lake's form. Written as the ledger writes it (UTC, at most seven
    /// fraction digits: <see cref="CanonicalText.IsUtcTimestamp"/>), the text is that form already but for the
    /// fraction, cut or padded to six digits: the same bytes as parsing and formatting it, without the parser. Any
    /// other form is parsed; an unreadable one is null (only the envelope's optional time can be: the schema holds
    /// the rest).
    /// </summary>
    private static void WriteTimestamp(ref RowText w, ReadOnlySpan<byte> name, JsonElement value)
    {
        var text = JsonMarshal.GetRawUtf8Value(value)[1..^1];
        if (!CanonicalText.IsUtcTimestamp(text))
        {
            if (value.TryGetDateTimeOffset(out var parsed)) WriteTimestamp(ref w, name, parsed);
            else w.Null(name);
            return;
        }
        Span<byte> buffer = stackalloc byte[29];
        buffer[0] = (byte)'"';
        text[..19].CopyTo(buffer[1..]);
        buffer[20] = (byte)'.';
        var fraction = text[19] == (byte)'.' ? text[20..text.IndexOfAny((byte)'Z', (byte)'+')] : [];
        if (fraction.Length > 6) fraction = fraction[..6];
        fraction.CopyTo(buffer[21..]);
        buffer[(21 + fraction.Length)..27].Fill((byte)'0');
        buffer[27] = (byte)'Z';
        buffer[28] = (byte)'"';
        w.Raw(name, buffer);
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
