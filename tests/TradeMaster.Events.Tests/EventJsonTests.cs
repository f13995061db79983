using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
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
    /// <summary>The settings of <see cref="EventJson.Options"/> with the reflection serializer, which wrote every event before the generated one.</summary>
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
    };

    public static TheoryData<string> Samples() => ["sale", "sale without customer", "cash sale", "rental", "return", "return with fee owed", "refused", "refused anonymous", "awkward text"];

    [Theory]
    [MemberData(nameof(Samples))]
    public void Serialize_AnyEventData_IsTheBytesTheReflectionSerializerWrote(string sample)
    {
        var eventId = Guid.Parse("4530ba0d-a47d-5449-b6b5-e59d1e0509ff");
        var time = new DateTimeOffset(2026, 11, 25, 14, 3, 7, 123, TimeSpan.Zero);
        var (json, expected) = sample switch
        {
            "refused" => Both(SampleEvents.Refused()),
            "refused anonymous" => Both(SampleEvents.Refused(withCustomer: false)),
            _ => Both(sample switch
            {
                "sale" => SampleEvents.Sale(),
                "sale without customer" => SampleEvents.Sale(withCustomer: false),
                "cash sale" => SampleEvents.Sale(method: "cash", installments: 1),
                "rental" => SampleEvents.Rental(),
                "return" => SampleEvents.Return(),
                "return with fee owed" => SampleEvents.Return(feePaid: false),
                _ => SampleEvents.Sale() with
                {
                    Store = SampleEvents.Store() with { Name = "Loja \"Centro\" <1> & 'b' + \u2028 \U0001F600 ç" },
                    Lines = [new EventLine(1, 7, "Título\tcom\\barra/e\u0001controle", "book", "Ação", 2, 0.10m, 0.01m, 0.19m)],
                    Total = 0.19m,
                },
            }),
        };

        using var envelope = JsonDocument.Parse(json);
        Assert.Equal(expected, envelope.RootElement.GetProperty("data").GetRawText());

        (byte[] Json, string Expected) Both<T>(T data) =>
            (EventJson.Serialize(eventId, EventTypes.SaleCompleted, 7, time, data, traceParent: null), JsonSerializer.Serialize(data, Reflection));
    }
}
