using System.Buffers;
using System.Text.Json;
using TradeMaster.Sink.Transform;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Sink.Tests;

public sealed class BigQuerySchemaTests
{
    [Fact]
    public void TransactionsSchema_RowOfEveryValidEventKind_Conforms()
    {
        var schema = BigQuerySchema.Load("transactions.schema.json");
        foreach (var e in SampleEvents.AllValid())
        {
            Assert.Empty(Validation.Errors(e));
            var row = TransformTests.Transform(e, new MessageSource("inprocess", "transactions", null));
            Assert.Empty(BigQuerySchema.Violations(row, schema));
        }
    }

    [Fact]
    public void TransactionsSchema_EveryColumnIsWrittenByTheTransform()
    {
        var schema = BigQuerySchema.Load("transactions.schema.json");
        var row = TransformTests.Transform(SampleEvents.Sale());
        var missing = schema.EnumerateArray().Select(f => f.GetProperty("name").GetString()!).Where(n => !row.TryGetProperty(n, out _)).ToList();
        Assert.Empty(missing);
    }

    [Fact]
    public void TransactionsSchema_RowWithWrongType_IsReported()
    {
        // The checker itself must catch what BigQuery would refuse, or the conformance tests prove nothing.
        var schema = BigQuerySchema.Load("transactions.schema.json");
        var text = TransformTests.Transform(SampleEvents.Sale()).GetRawText().Replace("\"store_id\":7", "\"store_id\":\"7\"", StringComparison.Ordinal)
            .Replace("\"total\":\"69.58\"", "\"total\":\"69,58\"", StringComparison.Ordinal);
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(2, BigQuerySchema.Violations(doc.RootElement, schema).Count);
    }

    [Fact]
    public void RejectedSchema_RejectionRecord_Conforms()
    {
        var schema = BigQuerySchema.Load("rejected.schema.json");
        var buffer = new ArrayBufferWriter<byte>();
        RejectionRecord.Write(buffer, "{\"a\":1}"u8, true, Guid.NewGuid().ToString(), [new ValidationError("schema_type", "$.data.store.id", "m")],
            new MessageSource("dapr", "transactions", null), DateTimeOffset.UtcNow);
        using var doc = JsonDocument.Parse(buffer.WrittenMemory);
        Assert.Empty(BigQuerySchema.Violations(doc.RootElement, schema));
    }
}
