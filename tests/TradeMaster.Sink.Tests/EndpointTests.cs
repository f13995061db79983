using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TradeMaster.Sink.Tests;

public sealed class EndpointTests(SinkFixture sink) : IClassFixture<SinkFixture>
{
    [Fact]
    public async Task DaprSubscribe_WithAppToken_ListsTransactionsTopicWithDeadLetterTopic()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/dapr/subscribe");
        request.Headers.Add("dapr-api-token", SinkFixture.AppToken);
        using var response = await sink.Host.Http.SendAsync(request);
        response.EnsureSuccessStatusCode();
        using var doc = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var subscription = Assert.Single(doc.RootElement.EnumerateArray());
        Assert.Equal("trademaster-pubsub", subscription.GetProperty("pubsubName").GetString());
        Assert.Equal("transactions", subscription.GetProperty("topic").GetString());
        Assert.Equal("transactions-deadletter", subscription.GetProperty("deadLetterTopic").GetString());
        Assert.Equal("sink/dapr/transactions", subscription.GetProperty("route").GetString()!.TrimStart('/'));
    }

    [Fact]
    public async Task DaprSubscribe_WithoutAppToken_IsUnauthorized()
    {
        using var response = await sink.Host.Http.GetAsync("/dapr/subscribe");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task PostDapr_ValidCloudEvent_AnswersSuccessAndLandsInItsPartition()
    {
        var e = SampleEvents.Sale();
        var (status, dapr) = await sink.Host.PostDaprAsync(e.Bytes(), token: SinkFixture.AppToken);
        Assert.Equal((200, "SUCCESS"), (status, dapr));
        // SUCCESS is only sent once durable: the row is already there, no polling needed.
        var dir = Path.Combine(sink.Host.Lake, "transactions", "event_type=com.trademaster.sale.completed.v1", "dt=2025-03-01");
        var rows = Directory.GetFiles(dir, "*.ndjson").SelectMany(File.ReadAllLines).Where(l => l.Contains(e.Id(), StringComparison.Ordinal)).ToList();
        var row = JsonDocument.Parse(Assert.Single(rows)).RootElement;
        Assert.Equal("dapr", row.GetProperty("source_transport").GetString());
        Assert.Empty(Directory.GetFiles(dir, "*.tmp", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task PostDapr_MalformedCloudEvent_AnswersSuccessAndIsRejectedNotRetried()
    {
        var marker = Guid.NewGuid().ToString();
        var (status, dapr) = await sink.Host.PostDaprAsync(Encoding.UTF8.GetBytes($"{{\"id\":\"{marker}\", oops"), token: SinkFixture.AppToken);
        Assert.Equal((200, "SUCCESS"), (status, dapr));
        var rejection = await sink.RejectionContainingAsync(marker);
        Assert.Equal(["json_invalid"], LakeFiles.Codes(rejection));
        Assert.Equal(JsonValueKind.String, rejection.GetProperty("raw").ValueKind);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong-token")]
    public async Task PostDapr_WithoutTheAppToken_IsUnauthorizedAndWritesNothing(string? token)
    {
        var e = SampleEvents.Sale();
        var (status, _) = await sink.Host.PostDaprAsync(e.Bytes(), token: token);
        Assert.Equal(401, status);
        Assert.Equal(0, LakeFiles.CountEvent(sink.Host.Lake, e.Id()));
        Assert.DoesNotContain(LakeFiles.Rejected(sink.Host.Lake), r => r.GetRawText().Contains(e.Id(), StringComparison.Ordinal));
    }

    private static string PushBody(byte[] data, string messageId) => JsonSerializer.Serialize(new
    {
        message = new { data = Convert.ToBase64String(data), attributes = new Dictionary<string, string> { ["partitionKey"] = "7" }, messageId, publishTime = "2025-03-01T12:00:01Z" },
        subscription = "projects/trademaster-local/subscriptions/sink-push",
    });

    [Fact]
    public async Task PostPush_ValidEventWithToken_Answers204AndLandsWithPubSubMetadata()
    {
        var e = SampleEvents.Rental();
        using var content = new StringContent(PushBody(e.Bytes(), "pubsub-msg-1"), Encoding.UTF8, "application/json");
        using var response = await sink.Host.Http.PostAsync($"/sink/pubsub/push?token={SinkFixture.PushToken}", content);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var row = Assert.Single(LakeFiles.Transactions(sink.Host.Lake), r => r.GetProperty("event_id").GetString() == e.Id());
        Assert.Equal("pubsub", row.GetProperty("source_transport").GetString());
        Assert.Equal("pubsub-msg-1", row.GetProperty("source_message_id").GetString());
        Assert.Equal("projects/trademaster-local/subscriptions/sink-push", row.GetProperty("source_topic").GetString());
    }

    /// <summary>What the silo's pubsub transport publishes: data = the event's data, the envelope in ce-* attributes.</summary>
    private static string BinaryModePushBody(JsonObject e, string messageId)
    {
        var attributes = new Dictionary<string, string>();
        foreach (var (name, value) in e)
        {
            if (name == "data" || value is null) continue;
            attributes[name == "datacontenttype" ? "content-type" : "ce-" + name] =
                value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : value.ToJsonString();
        }
        return JsonSerializer.Serialize(new
        {
            message = new { data = Convert.ToBase64String(e["data"]!.Bytes()), attributes, messageId, orderingKey = "7", publishTime = "2025-03-01T12:00:01Z" },
            subscription = "projects/trademaster-local/subscriptions/sink-push",
        });
    }

    [Fact]
    public async Task PostPush_BinaryModeMessage_Answers204AndLandsOnceUnderTheAttributesEventId()
    {
        var e = SampleEvents.Sale();
        using var content = new StringContent(BinaryModePushBody(e, "pubsub-binary-1"), Encoding.UTF8, "application/json");
        using var response = await sink.Host.Http.PostAsync($"/sink/pubsub/push?token={SinkFixture.PushToken}", content);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var row = Assert.Single(LakeFiles.Transactions(sink.Host.Lake), r => r.GetProperty("event_id").GetString() == e.Id());
        Assert.Equal("pubsub", row.GetProperty("source_transport").GetString());
        Assert.Equal("pubsub-binary-1", row.GetProperty("source_message_id").GetString());
        Assert.Equal(e["data"]!["transaction_id"]!.GetValue<string>(), row.GetProperty("transaction_id").GetString());
        Assert.DoesNotContain(LakeFiles.Rejected(sink.Host.Lake), r => r.GetRawText().Contains(e.Id(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostPush_WrongToken_IsUnauthorizedAndWritesNothing()
    {
        var e = SampleEvents.Sale();
        using var content = new StringContent(PushBody(e.Bytes(), "m"), Encoding.UTF8, "application/json");
        using var response = await sink.Host.Http.PostAsync("/sink/pubsub/push?token=nope", content);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal(0, LakeFiles.CountEvent(sink.Host.Lake, e.Id()));
    }

    /// <summary>Posts a push body that must be answered 204 and recorded as push_envelope_invalid; returns the record.</summary>
    private async Task<JsonElement> PostPushExpectingEnvelopeRejectionAsync(string body, string marker)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await sink.Host.Http.PostAsync($"/sink/pubsub/push?token={SinkFixture.PushToken}", content);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var rejection = await sink.RejectionContainingAsync(marker);
        Assert.Equal(["push_envelope_invalid"], LakeFiles.Codes(rejection));
        return rejection;
    }

    [Fact]
    public async Task PostPush_DataNotBase64_Answers204AndIsRejectedWithPushEnvelopeInvalid()
    {
        var marker = Guid.NewGuid().ToString();
        var body = $"{{\"message\":{{\"data\":\"%%{marker}%%\",\"messageId\":\"m-{marker}\"}},\"subscription\":\"s\"}}";
        var rejection = await PostPushExpectingEnvelopeRejectionAsync(body, marker);
        Assert.Equal($"m-{marker}", rejection.GetProperty("source").GetProperty("messageId").GetString());
        Assert.Equal(JsonValueKind.Object, rejection.GetProperty("raw").ValueKind);
    }

    [Fact]
    public async Task PostPush_LoneSurrogateInEnvelope_Answers204AndIsRejectedWithPushEnvelopeInvalid()
    {
        var marker = Guid.NewGuid().ToString();
        var data = Convert.ToBase64String(SampleEvents.Sale().Bytes());
        var body = $"{{\"message\":{{\"data\":\"{data}\",\"messageId\":\"m-{marker}\"}},\"subscription\":\"s\\uD800\"}}";
        var rejection = await PostPushExpectingEnvelopeRejectionAsync(body, marker);
        Assert.Contains("surrogate", rejection.GetProperty("errors")[0].GetProperty("message").GetString(), StringComparison.Ordinal);
        // Kept as text: a JSON value with an undecodable string would break the readers of the rejected files.
        Assert.Equal(JsonValueKind.String, rejection.GetProperty("raw").ValueKind);
    }

    [Fact]
    public async Task PostPush_BadEventInsideValidEnvelope_IsRejectedWithTheEventsCodes()
    {
        var e = SampleEvents.Sale();
        e["data"]!["currency"] = "USD";
        using var content = new StringContent(PushBody(e.Bytes(), "m-usd"), Encoding.UTF8, "application/json");
        using var response = await sink.Host.Http.PostAsync($"/sink/pubsub/push?token={SinkFixture.PushToken}", content);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        var rejection = await sink.RejectionContainingAsync(e.Id());
        Assert.Equal(["currency_unsupported"], LakeFiles.Codes(rejection));
        Assert.Equal(e.Id(), rejection.GetProperty("eventId").GetString());
    }
}
