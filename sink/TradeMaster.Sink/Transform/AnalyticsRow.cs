using System.Buffers;
using System.Globalization;
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
    private static readonly JsonWriterOptions WriterOptions = new() { Indented = false, SkipValidation = false };

    // One writer per thread, reset onto each row's buffer: the row costs no writer allocation.
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <summary>Copies a value as it is in the event (already valid JSON): no string decoded and re-encoded.</summary>
    private static void Copy(Utf8JsonWriter w, string name, JsonElement value)
    {
        w.WritePropertyName(name);
        value.WriteTo(w);
    }

    /// <summary>Writes one NDJSON line (terminated by '\n') for a valid event.</summary>
    public static void Write(IBufferWriter<byte> output, JsonElement envelope, MessageSource source, DateTimeOffset ingestedAt)
    {
        var type = envelope.GetProperty("type").GetString()!;
        var data = envelope.GetProperty("data");
        var refused = type == EventTypes.TransactionRefused;
        var w = t_writer ??= new Utf8JsonWriter(output, WriterOptions);
        w.Reset(output);
        {
            w.WriteStartObject();
            Copy(w, "event_id", envelope.GetProperty("id"));
            Copy(w, "event_source", envelope.GetProperty("source"));
            if (envelope.TryGetProperty("time", out var time) && time.TryGetDateTimeOffset(out var t)) WriteTimestamp(w, "event_time", t);
            else w.WriteNull("event_time");

            Copy(w, "transaction_id", data.GetProperty("transaction_id"));
            Copy(w, "transaction_type", data.GetProperty(refused ? "attempted_type" : "transaction_type"));
            w.WriteString("outcome", refused ? "refused" : "accepted");
            WriteTimestamp(w, "occurred_at", data.GetProperty("occurred_at").GetDateTimeOffset());
            Copy(w, "local_date", data.GetProperty("local_date"));

            var store = data.GetProperty("store");
            w.WriteNumber("store_id", store.GetProperty("id").GetInt64());
            Copy(w, "store_name", store.GetProperty("name"));
            Copy(w, "store_city", store.GetProperty("city"));
            Copy(w, "store_state", store.GetProperty("state"));
            Copy(w, "store_timezone", store.GetProperty("timezone"));

            var employee = data.GetProperty("employee");
            if (employee.ValueKind == JsonValueKind.Object)
            {
                w.WriteNumber("employee_id", employee.GetProperty("id").GetInt64());
                Copy(w, "employee_role", employee.GetProperty("role"));
            }
            else
            {
                w.WriteNull("employee_id");
                w.WriteNull("employee_role");
            }
            var customer = data.GetProperty("customer");
            if (customer.ValueKind == JsonValueKind.Object) Copy(w, "customer_key", customer.GetProperty("key"));
            else w.WriteNull("customer_key");

            if (refused)
            {
                w.WriteNull("currency");
                w.WriteNull("total");
            }
            else
            {
                Copy(w, "currency", data.GetProperty("currency"));
                WriteMoney(w, "total", data.GetProperty("total"));
            }

            WriteLines(w, data.GetProperty("lines"), refused);

            var payment = refused ? default : data.GetProperty("payment");
            if (payment.ValueKind == JsonValueKind.Object)
            {
                Copy(w, "payment_method", payment.GetProperty("method"));
                w.WriteNumber("payment_installments", payment.GetProperty("installments").GetInt64());
                WriteMoney(w, "payment_amount", payment.GetProperty("amount"));
            }
            else
            {
                w.WriteNull("payment_method");
                w.WriteNull("payment_installments");
                w.WriteNull("payment_amount");
            }

            WriteRentalAndReturn(w, type, data);

            if (refused)
            {
                var refusal = data.GetProperty("refusal");
                Copy(w, "refusal_code", refusal.GetProperty("code"));
                Copy(w, "refusal_message", refusal.GetProperty("message"));
                WriteNullableInt(w, "refusal_item_id", refusal.GetProperty("item_id"));
            }
            else
            {
                w.WriteNull("refusal_code");
                w.WriteNull("refusal_message");
                w.WriteNull("refusal_item_id");
            }

            WriteTimestamp(w, "ingested_at", ingestedAt);
            w.WriteString("source_transport", source.Transport);
            if (source.Topic is null) w.WriteNull("source_topic"); else w.WriteString("source_topic", source.Topic);
            if (source.MessageId is null) w.WriteNull("source_message_id"); else w.WriteString("source_message_id", source.MessageId);
            w.WriteEndObject();
            w.Flush();
        }
        output.GetSpan(1)[0] = (byte)'\n';
        output.Advance(1);
    }

    private static void WriteLines(Utf8JsonWriter w, JsonElement lines, bool refused)
    {
        long itemCount = 0;
        w.WriteStartArray("lines");
        var number = 0;
        foreach (var line in lines.EnumerateArray())
        {
            number++;
            w.WriteStartObject();
            w.WriteNumber("line_number", refused ? number : line.GetProperty("line_number").GetInt64());
            w.WriteNumber("item_id", line.GetProperty("item_id").GetInt64());
            WriteNullableString(w, "title", line.GetProperty("title"));
            WriteNullableString(w, "media_type", line.GetProperty("media_type"));
            WriteNullableString(w, "genre", line.GetProperty("genre"));
            var quantity = line.GetProperty("quantity").GetInt64();
            itemCount += quantity;
            w.WriteNumber("quantity", quantity);
            if (refused)
            {
                w.WriteNull("unit_price");
                w.WriteNull("discount");
                w.WriteNull("line_total");
                w.WriteNull("daily_price");
            }
            else
            {
                WriteMoney(w, "unit_price", line.GetProperty("unit_price"));
                WriteMoney(w, "discount", line.GetProperty("discount"));
                WriteMoney(w, "line_total", line.GetProperty("line_total"));
                WriteMoney(w, "daily_price", line.GetProperty("daily_price"));
            }
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteNumber("line_count", number);
        w.WriteNumber("item_count", itemCount);
    }

    private static void WriteRentalAndReturn(Utf8JsonWriter w, string type, JsonElement data)
    {
        JsonElement rentalId = default, days = default, startDate = default, dueDate = default;
        JsonElement startedAt = default, returnedAt = default, lateDays = default, lateFee = default, feePaid = default;
        switch (type)
        {
            case EventTypes.RentalStarted:
                var rental = data.GetProperty("rental");
                rentalId = rental.GetProperty("rental_id");
                days = rental.GetProperty("days");
                startDate = rental.GetProperty("start_date");
                dueDate = rental.GetProperty("due_date");
                break;
            case EventTypes.RentalReturned:
                var ret = data.GetProperty("return");
                rentalId = ret.GetProperty("rental_id");
                dueDate = ret.GetProperty("due_date");
                startedAt = ret.GetProperty("rental_started_at");
                returnedAt = ret.GetProperty("returned_at");
                lateDays = ret.GetProperty("late_days");
                lateFee = ret.GetProperty("late_fee");
                feePaid = ret.GetProperty("fee_paid");
                break;
            case EventTypes.TransactionRefused:
                rentalId = data.GetProperty("rental_id");
                days = data.GetProperty("days");
                break;
        }
        WriteNullableString(w, "rental_id", rentalId);
        WriteNullableInt(w, "rental_days", days);
        WriteNullableString(w, "rental_start_date", startDate);
        WriteNullableString(w, "rental_due_date", dueDate);
        if (startedAt.ValueKind == JsonValueKind.String) WriteTimestamp(w, "rental_started_at", startedAt.GetDateTimeOffset());
        else w.WriteNull("rental_started_at");
        if (returnedAt.ValueKind == JsonValueKind.String) WriteTimestamp(w, "returned_at", returnedAt.GetDateTimeOffset());
        else w.WriteNull("returned_at");
        WriteNullableInt(w, "late_days", lateDays);
        WriteMoney(w, "late_fee", lateFee);
        if (feePaid.ValueKind is JsonValueKind.True or JsonValueKind.False) w.WriteBoolean("late_fee_paid", feePaid.GetBoolean());
        else w.WriteNull("late_fee_paid");
    }

    private static void WriteNullableString(Utf8JsonWriter w, string name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.String) Copy(w, name, value);
        else w.WriteNull(name);
    }

    private static void WriteNullableInt(Utf8JsonWriter w, string name, JsonElement value)
    {
        if (value.ValueKind == JsonValueKind.Number) w.WriteNumber(name, value.GetInt64());
        else w.WriteNull(name);
    }

    /// <summary>NUMERIC as an exact decimal string with two places: no binary floating point between till and warehouse.</summary>
    private static void WriteMoney(Utf8JsonWriter w, string name, JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            w.WriteNull(name);
            return;
        }
        Span<char> buffer = stackalloc char[32];
        value.GetDecimal().TryFormat(buffer, out var n, "F2", CultureInfo.InvariantCulture);
        w.WriteString(name, buffer[..n]);
    }

    private static void WriteTimestamp(Utf8JsonWriter w, string name, DateTimeOffset value)
    {
        Span<char> buffer = stackalloc char[32];
        value.UtcDateTime.TryFormat(buffer, out var n, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture);
        w.WriteString(name, buffer[..n]);
    }
}
