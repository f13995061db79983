using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Events.Tests;

/// <summary>docs/events.md is read as the team reads it: its examples and field tables must match the contract.</summary>
public sealed partial class EventsDocTests
{
    private static readonly string DocPath = Path.Combine(Repo.Root, "docs", "events.md");

    [GeneratedRegex(@"^```json\s*\n(?<body>.*?)^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    private static List<JsonElement> Examples() =>
        JsonBlock().Matches(File.ReadAllText(DocPath))
            .Select(m => JsonDocument.Parse(m.Groups["body"].Value).RootElement.Clone())
            .ToList();

    [Fact]
    public void EventsDoc_Examples_OnePerEventType()
    {
        var types = Examples().Select(e => e.GetProperty("type").GetString()).ToList();

        Assert.Equal(EventTypes.All.Order(), types.Order());
    }

    [Fact]
    public async Task EventsDoc_EveryExample_DataValidatesAgainstTheSchemaOfItsType()
    {
        var examples = Examples();
        Assert.NotEmpty(examples);
        foreach (var example in examples)
        {
            var type = example.GetProperty("type").GetString()!;

            var errors = await TestEvents.SchemaErrorsAsync(type, example.GetProperty("data").GetRawText());

            Assert.True(errors.Count == 0, $"{type}: {string.Join("; ", errors)}");
        }
    }

    [Fact]
    public void EventsDoc_EveryExample_EnvelopeIsWhatTheLedgerWrites()
    {
        foreach (var example in Examples())
        {
            var type = example.GetProperty("type").GetString()!;
            var data = example.GetProperty("data");
            var storeId = data.GetProperty("store").GetProperty("id").GetInt32();
            var transactionId = data.GetProperty("transaction_id").GetGuid();
            var accepted = type != EventTypes.TransactionRefused;
            var kind = (accepted ? data.GetProperty("transaction_type") : data.GetProperty("attempted_type")).GetString() switch
            {
                "sale" => TransactionKind.Sale,
                "rental" => TransactionKind.Rental,
                "late_fee_payment" => TransactionKind.LateFeePayment,
                _ => TransactionKind.Return,
            };
            var occurredAt = data.GetProperty("occurred_at").GetDateTimeOffset();
            var traceParent = example.GetProperty("traceparent").GetString();
            // Rebuild the event from its data the way the ledger does; the doc must show exactly that envelope.
            var written = accepted
                ? EventJson.Serialize(EventIds.For(storeId, transactionId, kind, accepted), type, storeId, occurredAt,
                    data.Deserialize<TransactionData>(EventJson.Options), traceParent)
                : EventJson.Serialize(EventIds.For(storeId, transactionId, kind, accepted), type, storeId, occurredAt,
                    data.Deserialize<RefusedTransactionData>(EventJson.Options), traceParent);
            var expected = JsonNode.Parse(written);

            Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(example.GetRawText())),
                $"{type}: the doc shows\n{example.GetRawText()}\nthe ledger would write\n{expected}");
        }
    }

    [Theory]
    [MemberData(nameof(SchemaTests.Types), MemberType = typeof(SchemaTests))]
    public void EventsDoc_EveryDataField_IsDescribed(string type)
    {
        var doc = File.ReadAllText(DocPath);
        using var schema = JsonDocument.Parse(File.ReadAllText(Repo.SchemaPath(type)));
        var missing = new List<string>();
        Walk(schema.RootElement, "");
        Assert.Empty(missing);

        void Walk(JsonElement node, string prefix)
        {
            if (node.TryGetProperty("items", out var items)) Walk(items, prefix + "[]");
            if (!node.TryGetProperty("properties", out var properties)) return;
            foreach (var p in properties.EnumerateObject())
            {
                var path = prefix.Length == 0 ? p.Name : $"{prefix}.{p.Name}";
                var isParent = p.Value.TryGetProperty("properties", out _) || p.Value.TryGetProperty("items", out _);
                if (!isParent && !doc.Contains($"`{path}`", StringComparison.Ordinal)) missing.Add(path);
                Walk(p.Value, path);
            }
        }
    }
}
