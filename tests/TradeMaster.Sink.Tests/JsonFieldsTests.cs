using System.Text.Json;

namespace TradeMaster.Sink.Tests;

public sealed class JsonFieldsTests
{
    private enum Field { Total, Lines, Store }

    private static readonly JsonFields<Field> Names = new("total", "lines", "store");

    [Theory]
    [InlineData("""{"total":1,"lines":[],"store":{}}""")]
    [InlineData("""{"store":{},"lines":[],"total":1}""")]
    [InlineData("""{"total":1,"other":true,"total":2}""")]
    [InlineData("""{"tot\u0061l":3,"lin\u0065s":null}""")]
    [InlineData("""{"lines":null,"totals":1,"Total":2}""")]
    [InlineData("""{}""")]
    public void Read_AnyObject_FindsWhatTryGetPropertyFinds(string json)
    {
        using var doc = JsonDocument.Parse(json);
        var slots = new JsonSlots();
        Names.Read(doc.RootElement, ref slots);
        foreach (var (field, name) in new[] { (Field.Total, "total"), (Field.Lines, "lines"), (Field.Store, "store") })
        {
            var found = doc.RootElement.TryGetProperty(name, out var expected);
            var read = slots.Get(field);
            Assert.Equal(found ? expected.ValueKind : JsonValueKind.Undefined, read.ValueKind);
            if (found) Assert.Equal(expected.GetRawText(), read.GetRawText());
        }
    }

    [Fact]
    public void Constructor_NamesNotMatchingTheEnum_Throws() =>
        Assert.Throws<ArgumentException>(() => new JsonFields<Field>("total", "lines"));
}
