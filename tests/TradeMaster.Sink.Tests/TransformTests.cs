using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using TradeMaster.Sink.Transform;

namespace TradeMaster.Sink.Tests;

public sealed class TransformTests
{
    private static readonly DateTimeOffset IngestedAt = new(2025, 3, 1, 15, 0, 0, 123, TimeSpan.Zero);

    internal static JsonElement Transform(JsonObject e, MessageSource? source = null)
    {
        using var doc = JsonDocument.Parse(e.Bytes());
        var buffer = new ArrayBufferWriter<byte>();
        AnalyticsRow.Write(buffer, doc.RootElement, source ?? new MessageSource("dapr", "transactions", "m-1"), IngestedAt);
        Assert.Equal((byte)'\n', buffer.WrittenSpan[^1]);
        Assert.Equal(1, buffer.WrittenSpan.Count((byte)'\n'));
        using var row = JsonDocument.Parse(buffer.WrittenMemory);
        return row.RootElement.Clone();
    }

    [Fact]
    public void Write_Sale_FlattensStoreEmployeeCustomerPaymentAndKeepsLinesRepeated()
    {
        var e = SampleEvents.Sale();
        var row = Transform(e);
        Assert.Equal(e.Id(), row.GetProperty("event_id").GetString());
        Assert.Equal("sale", row.GetProperty("transaction_type").GetString());
        Assert.Equal("accepted", row.GetProperty("outcome").GetString());
        Assert.Equal("2025-03-01T12:00:00.000000Z", row.GetProperty("occurred_at").GetString());
        Assert.Equal("2025-03-01", row.GetProperty("local_date").GetString());
        Assert.Equal(7, row.GetProperty("store_id").GetInt64());
        Assert.Equal("SP", row.GetProperty("store_state").GetString());
        Assert.Equal(31, row.GetProperty("employee_id").GetInt64());
        Assert.Equal(SampleEvents.CustomerKey, row.GetProperty("customer_key").GetString());
        Assert.Equal("69.58", row.GetProperty("total").GetString());
        Assert.Equal("credit_card", row.GetProperty("payment_method").GetString());
        Assert.Equal(3, row.GetProperty("payment_installments").GetInt64());
        Assert.Equal(2, row.GetProperty("line_count").GetInt64());
        Assert.Equal(3, row.GetProperty("item_count").GetInt64());
        var line = row.GetProperty("lines")[0];
        Assert.Equal("19.99", line.GetProperty("unit_price").GetString());
        Assert.Equal("0.30", line.GetProperty("discount").GetString());
        Assert.Equal("39.68", line.GetProperty("line_total").GetString());
        Assert.Equal(JsonValueKind.Null, line.GetProperty("daily_price").ValueKind);
        Assert.Equal("2025-03-01T15:00:00.123000Z", row.GetProperty("ingested_at").GetString());
        Assert.Equal("dapr", row.GetProperty("source_transport").GetString());
        Assert.Equal("m-1", row.GetProperty("source_message_id").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("refusal_code").ValueKind);
        Assert.False(row.TryGetProperty("event_type", out _), "event_type is a Hive partition key, taken from the path");
        Assert.False(row.TryGetProperty("dt", out _), "dt is a Hive partition key, taken from the path");
    }

    [Theory]
    [InlineData("69.58", "69.58")]
    [InlineData("69.5", "69.50")]
    [InlineData("69", "69.00")]
    [InlineData("6.958E1", "69.58")]
    [InlineData("0.6958e2", "69.58")]
    [InlineData("79228162514264337593543950335", "79228162514264337593543950335.00")]
    public void Write_MoneyInAnyJsonNumberForm_IsItsExactTwoPlaceText(string json, string expected)
    {
        var e = SampleEvents.Sale();
        var text = e.ToJsonString();
        var row = Transform(JsonNode.Parse(text.Replace("\"total\":69.58", $"\"total\":{json}", StringComparison.Ordinal))!.AsObject());
        Assert.Contains("\"total\":69.58", text, StringComparison.Ordinal);
        Assert.Equal(expected, row.GetProperty("total").GetString());
    }

    [Fact]
    public void Write_Rental_IsExactlyTheseBytes()
    {
        // The row's text is written byte by byte (RowText), so its exact form is held here: names, order, nulls,
        // numbers, the producer's escapes kept, a source string escaped as Utf8JsonWriter escapes it.
        var e = SampleEvents.Rental(Guid.Parse("0193a1b2-0000-7000-8000-000000000001"));
        var tx = e["data"]!["transaction_id"]!.GetValue<string>();
        var text = e.ToJsonString().Replace("\"Drama\"", "\"Dr\\u0061ma\"", StringComparison.Ordinal);
        var buffer = new ArrayBufferWriter<byte>(16);
        using (var doc = JsonDocument.Parse(text))
        {
            AnalyticsRow.Write(buffer, doc.RootElement, new MessageSource("pubsub", "t\u00f3pico <x> & 'y'", "12345678901234"), IngestedAt);
        }
        var expected = "{\"event_id\":\"0193a1b2-0000-7000-8000-000000000001\",\"event_source\":\"/trademaster/ledger/stores/7\","
            + "\"event_time\":\"2025-03-01T12:00:00.000000Z\",\"transaction_id\":\"" + tx + "\",\"transaction_type\":\"rental\",\"outcome\":\"accepted\","
            + "\"occurred_at\":\"2025-03-01T12:00:00.000000Z\",\"local_date\":\"2025-03-01\",\"store_id\":7,\"store_name\":\"TradeMaster Pinheiros\","
            + "\"store_city\":\"S\\u00E3o Paulo\",\"store_state\":\"SP\",\"store_timezone\":\"America/Sao_Paulo\",\"employee_id\":31,\"employee_role\":\"clerk\","
            + "\"customer_key\":\"" + SampleEvents.CustomerKey + "\",\"currency\":\"BRL\",\"total\":\"32.00\",\"lines\":["
            + "{\"line_number\":1,\"item_id\":303,\"title\":\"Breaking Bad T1\",\"media_type\":\"series_dvd\",\"genre\":\"Dr\\u0061ma\",\"quantity\":1,"
            + "\"unit_price\":\"15.00\",\"discount\":\"0.00\",\"line_total\":\"15.00\",\"daily_price\":\"5.00\"},"
            + "{\"line_number\":2,\"item_id\":202,\"title\":\"Cidade de Deus\",\"media_type\":\"movie\",\"genre\":\"Dr\\u0061ma\",\"quantity\":2,"
            + "\"unit_price\":\"9.00\",\"discount\":\"1.00\",\"line_total\":\"17.00\",\"daily_price\":\"3.00\"}],"
            + "\"line_count\":2,\"item_count\":3,\"payment_method\":\"pix\",\"payment_installments\":1,\"payment_amount\":\"32.00\","
            + "\"rental_id\":\"" + tx + "\",\"rental_days\":3,\"rental_start_date\":\"2025-03-01\",\"rental_due_date\":\"2025-03-04\","
            + "\"rental_started_at\":null,\"returned_at\":null,\"late_days\":null,\"late_fee\":null,\"late_fee_paid\":null,"
            + "\"refusal_code\":null,\"refusal_message\":null,\"refusal_item_id\":null,\"ingested_at\":\"2025-03-01T15:00:00.123000Z\","
            + "\"source_transport\":\"pubsub\",\"source_topic\":\"t\\u00F3pico \\u003Cx\\u003E \\u0026 \\u0027y\\u0027\",\"source_message_id\":\"12345678901234\"}\n";
        Assert.Equal(expected, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }

    [Fact]
    public void Write_ARowLongerThanTheSpansItIsGiven_IsTheSameRow()
    {
        // 40 lines make a row of some 9 KB: the writer moves on to new spans several times.
        var e = SampleEvents.Sale();
        var lines = e["data"]!["lines"]!.AsArray();
        for (var i = 0; i < 38; i++) lines.Add(lines[i % 2]!.DeepClone());
        using var doc = JsonDocument.Parse(e.Bytes());
        var whole = new ArrayBufferWriter<byte>(1 << 16);
        var pieces = new ExactSpans();
        var source = new MessageSource("pubsub", "t\u00f3pico", "42");
        AnalyticsRow.Write(whole, doc.RootElement, source, IngestedAt);
        AnalyticsRow.Write(pieces, doc.RootElement, source, IngestedAt);
        Assert.True(whole.WrittenCount > 8192, $"{whole.WrittenCount} bytes");
        Assert.True(pieces.Spans >= 5, $"{pieces.Spans} spans");
        Assert.Equal(System.Text.Encoding.UTF8.GetString(whole.WrittenSpan), System.Text.Encoding.UTF8.GetString(pieces.Written.ToArray()));
    }

    /// <summary>An output that hands out exactly what it is asked for, a new array each time: the writer must move on.</summary>
    private sealed class ExactSpans : IBufferWriter<byte>
    {
        private byte[] _current = [];

        public List<byte> Written { get; } = [];

        public int Spans { get; private set; }

        public void Advance(int count) => Written.AddRange(_current.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Spans++;
            return _current = new byte[Math.Max(sizeHint, 1)];
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }

    [Theory]
    [InlineData("2025-03-01T12:00:00Z", "2025-03-01T12:00:00.000000Z")]
    [InlineData("2025-03-01T12:00:00.1234567+00:00", "2025-03-01T12:00:00.123456Z")]
    [InlineData("2025-03-01T12:00:00.1+00:00", "2025-03-01T12:00:00.100000Z")]
    [InlineData("2025-03-01T12:00:00.000001Z", "2025-03-01T12:00:00.000001Z")]
    [InlineData("2024-02-29T23:59:59.9999999Z", "2024-02-29T23:59:59.999999Z")]
    [InlineData("2025-03-01T09:00:00.5-03:00", "2025-03-01T12:00:00.500000Z")]
    [InlineData("2025-03-01T12:00:00.123456789Z", "2025-03-01T12:00:00.123456Z")]
    [InlineData("2025-03-01T12:00:00.25\u002B00:00", "2025-03-01T12:00:00.250000Z")]
    [InlineData("2025-02-30T12:00:00Z", null)]
    [InlineData("yesterday", null)]
    public void Write_EventTime_IsTheLakeTimestampInUtcMicroseconds_OrNullWhenUnreadable(string time, string? expected)
    {
        var e = SampleEvents.Sale();
        e["time"] = "TIME";
        // As written here, escapes included: JsonNode would escape the '+'.
        var text = e.ToJsonString().Replace("\"TIME\"", "\"" + time + "\"", StringComparison.Ordinal);
        Assert.Contains(time, text, StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(text);
        var buffer = new ArrayBufferWriter<byte>();
        AnalyticsRow.Write(buffer, doc.RootElement, new MessageSource("dapr", "transactions", "m-1"), IngestedAt);
        using var written = JsonDocument.Parse(buffer.WrittenMemory);
        var row = written.RootElement;
        if (expected is null) Assert.Equal(JsonValueKind.Null, row.GetProperty("event_time").ValueKind);
        else Assert.Equal(expected, row.GetProperty("event_time").GetString());
    }

    [Fact]
    public void Write_Rental_CarriesTermsAndDailyPrice()
    {
        var row = Transform(SampleEvents.Rental());
        Assert.Equal(3, row.GetProperty("rental_days").GetInt64());
        Assert.Equal("2025-03-01", row.GetProperty("rental_start_date").GetString());
        Assert.Equal("2025-03-04", row.GetProperty("rental_due_date").GetString());
        Assert.Equal(row.GetProperty("transaction_id").GetString(), row.GetProperty("rental_id").GetString());
        Assert.Equal("5.00", row.GetProperty("lines")[0].GetProperty("daily_price").GetString());
    }

    [Fact]
    public void Write_Return_CarriesLatenessAndFee()
    {
        var row = Transform(SampleEvents.Return());
        Assert.Equal(2, row.GetProperty("late_days").GetInt64());
        Assert.Equal("10.00", row.GetProperty("late_fee").GetString());
        Assert.True(row.GetProperty("late_fee_paid").GetBoolean());
        Assert.Equal("2025-02-24T12:00:00.000000Z", row.GetProperty("rental_started_at").GetString());
        Assert.Equal("2025-02-27", row.GetProperty("rental_due_date").GetString());
    }

    [Fact]
    public void Write_LateFeePayment_CarriesThePaymentAndTheReturnItPays()
    {
        var e = SampleEvents.LateFeePaid();
        var row = Transform(e);
        Assert.Equal("late_fee_payment", row.GetProperty("transaction_type").GetString());
        Assert.Equal("accepted", row.GetProperty("outcome").GetString());
        Assert.Equal("2025-03-01", row.GetProperty("local_date").GetString());
        Assert.Equal(SampleEvents.CustomerKey, row.GetProperty("customer_key").GetString());
        Assert.Equal("10.00", row.GetProperty("total").GetString());
        Assert.Equal("pix", row.GetProperty("payment_method").GetString());
        Assert.Equal(1, row.GetProperty("payment_installments").GetInt64());
        Assert.Equal("10.00", row.GetProperty("payment_amount").GetString());
        Assert.Equal(0, row.GetProperty("lines").GetArrayLength());
        Assert.Equal(0, row.GetProperty("line_count").GetInt64());
        Assert.Equal(0, row.GetProperty("item_count").GetInt64());
        // The return's columns as a return writes them: the rental, when it came back, and the fee, now paid.
        Assert.Equal(e["data"]!["return"]!["rental_id"]!.GetValue<string>(), row.GetProperty("rental_id").GetString());
        Assert.NotEqual(row.GetProperty("transaction_id").GetString(), row.GetProperty("rental_id").GetString());
        Assert.Equal("2025-02-21T12:00:00.000000Z", row.GetProperty("rental_started_at").GetString());
        Assert.Equal("2025-02-24", row.GetProperty("rental_due_date").GetString());
        Assert.Equal("2025-02-26T15:30:00.000000Z", row.GetProperty("returned_at").GetString());
        Assert.Equal(2, row.GetProperty("late_days").GetInt64());
        Assert.Equal("10.00", row.GetProperty("late_fee").GetString());
        Assert.True(row.GetProperty("late_fee_paid").GetBoolean());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("rental_days").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("rental_start_date").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("refusal_code").ValueKind);
    }

    [Fact]
    public void Write_RefusedLateFeePayment_IsRefusedWithTheRentalAndNoLinesOrMoney()
    {
        var e = SampleEvents.RefusedLateFeePayment();
        var row = Transform(e);
        Assert.Equal("refused", row.GetProperty("outcome").GetString());
        Assert.Equal("late_fee_payment", row.GetProperty("transaction_type").GetString());
        Assert.Equal("late_fee_not_owed", row.GetProperty("refusal_code").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("refusal_item_id").ValueKind);
        Assert.Equal(e["data"]!["rental_id"]!.GetValue<string>(), row.GetProperty("rental_id").GetString());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("rental_days").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("total").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("payment_amount").ValueKind);
        Assert.Equal(JsonValueKind.Null, row.GetProperty("late_fee").ValueKind);
        Assert.Equal(0, row.GetProperty("line_count").GetInt64());
    }

    [Fact]
    public void Write_Refused_IsRefusedOutcomeWithRequestedLinesAndNoMoney()
    {
        var row = Transform(SampleEvents.Refused());
        Assert.Equal("refused", row.GetProperty("outcome").GetString());
        Assert.Equal("sale", row.GetProperty("transaction_type").GetString());
        Assert.Equal("insufficient_stock", row.GetProperty("refusal_code").GetString());
        Assert.Equal(101, row.GetProperty("refusal_item_id").GetInt64());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("total").ValueKind);
        var lines = row.GetProperty("lines");
        Assert.Equal(2, lines.GetArrayLength());
        Assert.Equal(2, lines[1].GetProperty("line_number").GetInt64());
        Assert.Equal(JsonValueKind.Null, lines[1].GetProperty("title").ValueKind);
        Assert.Equal(JsonValueKind.Null, lines[0].GetProperty("unit_price").ValueKind);
        Assert.Equal(4, row.GetProperty("item_count").GetInt64());
    }

    [Fact]
    public void Write_AnonymousSale_HasNullCustomerKey()
    {
        var row = Transform(SampleEvents.AnonymousSale());
        Assert.Equal(JsonValueKind.Null, row.GetProperty("customer_key").ValueKind);
        Assert.Equal("cash", row.GetProperty("payment_method").GetString());
    }

    [Fact]
    public void Write_Rejection_KeepsRawJsonVerbatimOnOneLineAndTextAsString()
    {
        var pretty = "{\n  \"id\": \"x\",\n  \"n\": 1.50\n}";
        var buffer = new ArrayBufferWriter<byte>();
        RejectionRecord.Write(buffer, System.Text.Encoding.UTF8.GetBytes(pretty), true, "x",
            [new("json_invalid", "$", "m")], new MessageSource("pubsub", "sub", "42"), IngestedAt);
        RejectionRecord.Write(buffer, "not json {"u8, false, null, [new("json_invalid", "$", "m")], new MessageSource("dapr", null, null), IngestedAt);
        var lines = System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Contains("\"raw\":{   \"id\": \"x\",   \"n\": 1.50 }", lines[0], StringComparison.Ordinal);
        using var first = JsonDocument.Parse(lines[0]);
        Assert.Equal("42", first.RootElement.GetProperty("source").GetProperty("messageId").GetString());
        using var second = JsonDocument.Parse(lines[1]);
        Assert.Equal("not json {", second.RootElement.GetProperty("raw").GetString());
        Assert.Equal(JsonValueKind.Null, second.RootElement.GetProperty("eventId").ValueKind);
    }
}
