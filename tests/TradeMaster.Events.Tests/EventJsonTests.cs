using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Events.Tests;

public sealed class EventJsonTests
{
    [Theory]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData(null)]
    public void Serialize_SaleEvent_IsTheCloudEventEnvelopeInOrderWithTheDataAsSerializedAlone(string? traceParent)
    {
        var eventId = Guid.Parse("4530ba0d-a47d-5449-b6b5-e59d1e0509ff");
        var time = new DateTimeOffset(2026, 11, 25, 14, 3, 7, 123, TimeSpan.Zero);
        var data = SampleEvents.Sale();

        var json = EventJson.Serialize(eventId, EventTypes.SaleCompleted, 7, time, data, traceParent);

        var envelope = JsonNode.Parse(json)!.AsObject();
        Assert.Equal(
            ["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "dataschema", "partitionkey", "traceparent", "data"],
            envelope.Select(p => p.Key));
        Assert.Equal("1.0", (string?)envelope["specversion"]);
        Assert.Equal("4530ba0d-a47d-5449-b6b5-e59d1e0509ff", (string?)envelope["id"]);
        Assert.Equal($"{Messaging.EventSource}/stores/7", (string?)envelope["source"]);
        Assert.Equal(EventTypes.SaleCompleted, (string?)envelope["type"]);
        Assert.Equal("stores/7", (string?)envelope["subject"]);
        Assert.Equal(time, envelope["time"]!.GetValue<DateTimeOffset>());
        Assert.Equal("application/json", (string?)envelope["datacontenttype"]);
        Assert.Equal(EventJson.DataSchemaUri(EventTypes.SaleCompleted), (string?)envelope["dataschema"]);
        Assert.Equal("7", (string?)envelope["partitionkey"]);
        Assert.Equal(traceParent, (string?)envelope["traceparent"]);
        Assert.True(envelope.ContainsKey("traceparent"));
        Assert.True(JsonNode.DeepEquals(JsonSerializer.SerializeToNode(data, EventJson.Options), envelope["data"]));
        // Escaped as the serializer escapes everything else: "São Paulo" never appears raw.
        Assert.Contains(@"S\u00E3o Paulo", Encoding.UTF8.GetString(json), StringComparison.Ordinal);
    }
}
