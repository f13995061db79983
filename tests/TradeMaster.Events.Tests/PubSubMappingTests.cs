using System.Text.Json;
using TradeMaster.Contracts.Events;
using TradeMaster.Publishing;

namespace TradeMaster.Events.Tests;

public sealed class PubSubMappingTests
{
    [Fact]
    public void ToPubSubBinaryMode_Event_DataIsTheEventDataAndAttributesAreCePrefixed()
    {
        var e = TestEvents.Outgoing(storeId: 7, sequence: 1, run: "map");
        var envelope = TestEvents.Envelope(e);

        var message = CloudEventAttributes.ToPubSubBinaryMode(e);

        Assert.Equal("7", message.OrderingKey);
        Assert.Equal(envelope.GetProperty("data").GetRawText(), TestEvents.Text(message.Data));
        Assert.Equal(e.Id, message.Attributes["ce-id"]);
        Assert.Equal(EventTypes.RentalStarted, message.Attributes["ce-type"]);
        Assert.Equal("1.0", message.Attributes["ce-specversion"]);
        Assert.Equal("/trademaster/ledger/stores/7", message.Attributes["ce-source"]);
        Assert.Equal("stores/7", message.Attributes["ce-subject"]);
        Assert.Equal(envelope.GetProperty("time").GetString(), message.Attributes["ce-time"]);
        Assert.Equal(EventJson.DataSchemaUri(EventTypes.RentalStarted), message.Attributes["ce-dataschema"]);
        Assert.Equal("7", message.Attributes["ce-partitionkey"]);
        Assert.Equal(envelope.GetProperty("traceparent").GetString(), message.Attributes["ce-traceparent"]);
        Assert.Equal("application/json", message.Attributes["content-type"]);
        Assert.DoesNotContain("ce-data", message.Attributes.Keys);
        Assert.DoesNotContain("ce-datacontenttype", message.Attributes.Keys);
    }

    [Fact]
    public void ToPubSubBinaryMode_NullAttributes_AreLeftOut()
    {
        var eventId = Guid.NewGuid();
        var e = new OutgoingEvent(eventId.ToString("D"), EventTypes.SaleCompleted, 3,
            EventJson.Serialize(eventId, EventTypes.SaleCompleted, 3, DateTimeOffset.UnixEpoch, SampleEvents.Sale(), traceParent: null));

        var message = CloudEventAttributes.ToPubSubBinaryMode(e);

        Assert.DoesNotContain("ce-traceparent", message.Attributes.Keys);
    }

    [Fact]
    public void ToPubSubBinaryMode_EnvelopeWithoutType_Throws()
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new { specversion = "1.0", id = "x", source = "/s", data = new { } });

        Assert.Throws<FormatException>(() => CloudEventAttributes.ToPubSubBinaryMode(new OutgoingEvent("x", "t", 1, json)));
    }

    [Fact]
    public void Batches_ManySmallMessagesOfOneStore_SplitsAtOneThousand()
    {
        var messages = Enumerable.Range(0, 2500).Select(_ => Message("7", 100)).ToList();

        var batches = PubSubRestClient.Batches(messages).ToList();

        Assert.Equal([1000, 1000, 500], batches.Select(b => b.Count));
    }

    [Fact]
    public void Batches_LargeMessages_StayUnderTenMegabytesPerRequest()
    {
        var messages = Enumerable.Range(0, 7).Select(_ => Message("7", 3_000_000)).ToList();

        var batches = PubSubRestClient.Batches(messages).ToList();

        Assert.Equal(7, batches.Sum(b => b.Count));
        Assert.All(batches, b => Assert.True(b.Sum(PubSubRestClient.EncodedSize) < PubSubRestClient.MaxRequestBytes));
        Assert.Equal([2, 2, 2, 1], batches.Select(b => b.Count));
    }

    [Fact]
    public void Batches_OrderingKeyChanges_StartsANewRequestAndKeepsOrder()
    {
        var messages = new[] { "7", "7", "12", "12", "7" }.Select(k => Message(k, 10)).ToList();

        var batches = PubSubRestClient.Batches(messages).ToList();

        Assert.Equal([2, 2, 1], batches.Select(b => b.Count));
        Assert.Equal(messages, batches.SelectMany(b => b));
    }

    [Fact]
    public void Batches_MessageOverTheLimit_Throws()
    {
        Assert.Throws<ArgumentException>(() => PubSubRestClient.Batches([Message("7", 8_000_000)]).ToList());
    }

    private static PubSubOutgoingMessage Message(string key, int size) =>
        new(new byte[size], new Dictionary<string, string> { ["ce-type"] = EventTypes.SaleCompleted }, key);
}
