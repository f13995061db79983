using System.Text;
using System.Text.Json.Nodes;
using static TradeMaster.Sink.Validation.ValidationCodes;

namespace TradeMaster.Sink.Tests;

/// <summary>Hand-written bad events, each POSTed as Dapr would; each must land in rejected/ with exactly its codes.</summary>
public sealed class BadEventCatalogTests(SinkFixture sink) : IClassFixture<SinkFixture>
{
    public sealed record Case(string Name, Func<string, (byte[] Body, string ContentType)> Build, string[] Codes)
    {
        public override string ToString() => Name;
    }

    private static Case Mutated(string name, Func<JsonObject> sample, Action<JsonObject> mutate, params string[] codes) =>
        new(name, marker =>
        {
            var e = sample();
            e["subject"] = marker;
            mutate(e);
            return (e.Bytes(), "application/cloudevents+json");
        }, codes);

    private static Case Sale(string name, Action<JsonObject> mutate, params string[] codes) => Mutated(name, () => SampleEvents.Sale(), mutate, codes);

    private static Case Raw(string name, Func<string, string> text, string contentType, params string[] codes) =>
        new(name, marker => (Encoding.UTF8.GetBytes(text(marker)), contentType), codes);

    private static JsonNode D(JsonObject e) => e["data"]!;

    public static TheoryData<Case> Cases => new()
    {
        Raw("truncated json", m => SaleWithSubject(m)[..(SaleWithSubject(m).IndexOf(m, StringComparison.Ordinal) + m.Length + 3)], "application/cloudevents+json", JsonInvalid),
        Raw("plain text", m => $"hello sink {m}", "application/cloudevents+json", JsonInvalid),
        Raw("xml body and content type", m => $"<event id=\"{m}\"/>", "application/xml", ContentTypeUnsupported, JsonInvalid),
        Raw("json array", m => $"[\"{m}\", 1, 2]", "application/cloudevents+json", EnvelopeNotObject),
        Raw("empty object", m => $"{{\"subject\":\"{m}\"}}", "application/cloudevents+json", EnvelopeFieldMissing),
        Raw("valid event as text/plain", SaleWithSubject, "text/plain", ContentTypeUnsupported),
        Sale("specversion 0.3", e => e["specversion"] = "0.3", SpecVersionUnsupported),
        Sale("missing id", e => e.Remove("id"), EnvelopeFieldMissing),
        Sale("id not a uuid", e => e["id"] = "sale-0001", EventIdInvalid),
        Sale("id as number", e => e["id"] = 42, EnvelopeFieldInvalid),
        Sale("unknown type", e => e["type"] = "com.example.order.created.v1", EventTypeUnknown),
        Sale("unknown version", e => e["type"] = "com.trademaster.sale.completed.v7", EventVersionUnsupported),
        Sale("no data", e => e.Remove("data"), EnvelopeFieldMissing),
        Sale("xml datacontenttype", e => e["datacontenttype"] = "application/xml", DataContentTypeUnsupported),
        Sale("store id as string", e => D(e)["store"]!["id"] = "7", SchemaType),
        Sale("item id as string", e => D(e)["lines"]![0]!["item_id"] = "101", SchemaType),
        Sale("quantity as string", e => D(e)["lines"]![0]!["quantity"] = "2", SchemaType),
        Sale("quantity zero", e => D(e)["lines"]![0]!["quantity"] = 0, QuantityNotPositive),
        // NJsonSchema itself throws on integers beyond 64 bits: these must be rejected, not redelivered forever.
        Sale("store id beyond 64 bits", e => D(e)["store"]!["id"] = JsonNode.Parse("100000000000000000000"), IdInvalid),
        Sale("negative quantity beyond 64 bits", e => D(e)["lines"]![0]!["quantity"] = JsonNode.Parse("-100000000000000000000"), QuantityNotPositive),
        Sale("quantity beyond 64 bits", e => D(e)["lines"]![0]!["quantity"] = JsonNode.Parse("100000000000000000000"), SchemaRange),
        Sale("negative unit price", e => D(e)["lines"]![1]!["unit_price"] = -1m, LineTotalMismatch, UnitPriceNegative),
        Sale("line total ignores discount", e =>
        {
            D(e)["lines"]![0]!["line_total"] = 39.98m;
            D(e)["total"] = 69.88m;
            D(e)["payment"]!["amount"] = 69.88m;
        }, LineTotalMismatch),
        Sale("total does not add up", e => D(e)["total"] = 70m, PaymentAmountMismatch, TotalMismatch),
        Sale("payment short", e => D(e)["payment"]!["amount"] = 50m, PaymentAmountMismatch),
        Sale("occurred in 2030", e =>
        {
            D(e)["occurred_at"] = "2030-01-01T12:00:00Z";
            D(e)["local_date"] = "2030-01-01";
        }, OccurredAtInFuture),
        Sale("currency USD", e => D(e)["currency"] = "USD", CurrencyUnsupported),
        Sale("cpf in a title", e => D(e)["lines"]![0]!["title"] = "Encomenda 529.982.247-25", PersonalDataCpf),
        Sale("cpf field next to the key", e => D(e)["customer"]!["cpf"] = "52998224725", PersonalDataCpf, PersonalDataField, SchemaAdditionalProperty),
        Sale("email in city", e => D(e)["store"]!["city"] = "joao@example.com", PersonalDataEmail),
        Sale("phone in store name", e => D(e)["store"]!["name"] = "Loja +55 11 98765-4321", PersonalDataPhone),
        Sale("extra field", e => D(e)["loyalty_points"] = 10, SchemaAdditionalProperty),
        Sale("missing total", e => D(e).AsObject().Remove("total"), SchemaRequired),
        Sale("media type vhs", e => D(e)["lines"]![1]!["media_type"] = "vhs", SchemaEnum),
        Sale("local offset instead of UTC", e => D(e)["occurred_at"] = "2025-03-01T09:00:00-03:00", SchemaPattern),
        Sale("installments with pix", e => D(e)["payment"]!["method"] = "pix", SchemaAnyOf),
        Sale("transaction id not uuid", e => D(e)["transaction_id"] = "TX-1", IdInvalid),
        Sale("no lines", e => D(e)["lines"] = new JsonArray(), SchemaRange, TotalMismatch),
        Sale("money with three decimals", e =>
        {
            D(e)["lines"]![1]!["unit_price"] = 29.901m;
            D(e)["lines"]![1]!["line_total"] = 29.901m;
            D(e)["total"] = 69.581m;
            D(e)["payment"]!["amount"] = 69.581m;
        }, SchemaRange),
        Sale("several errors", e =>
        {
            D(e)["currency"] = "EUR";
            D(e)["lines"]![0]!["quantity"] = 0;
            D(e)["store"]!["name"] = "cpf 529.982.247-25";
        }, CurrencyUnsupported, PersonalDataCpf, QuantityNotPositive),
        Mutated("rental due before start", () => SampleEvents.Rental(), e => D(e)["rental"]!["due_date"] = "2025-02-01", RentalDueDateInvalid),
        Mutated("rental for 45 days", () => SampleEvents.Rental(), e =>
        {
            D(e)["rental"]!["days"] = 45;
            D(e)["rental"]!["due_date"] = "2025-04-15";
        }, RentalPeriodOutOfRange, UnitPriceMismatch),
        Mutated("return before rental", () => SampleEvents.Return(), e => D(e)["return"]!["returned_at"] = "2025-01-01T10:00:00Z", ReturnBeforeRentalStart),
        Mutated("late fee not the lines", () => SampleEvents.Return(), e => D(e)["return"]!["late_fee"] = 99m, LateFeeMismatch),
        Mutated("refusal code unknown", () => SampleEvents.Refused(), e => D(e)["refusal"]!["code"] = "bad_mood", SchemaEnum),
        LateFee("late fee payment of another amount", e => D(e)["total"] = 12.50m, LateFeeMismatch, PaymentAmountMismatch),
        LateFee("late fee payment without payment", e => D(e)["payment"] = null, SchemaAnyOf, SchemaRequired, SchemaType),
        LateFee("late fee payment with a line", e => D(e)["lines"] = new JsonArray(SampleEvents.Return()["data"]!["lines"]![0]!.DeepClone()), SchemaRange),
        LateFee("late fee payment not marked paid", e => D(e)["return"]!["fee_paid"] = false, LateFeeIncoherent),
        LateFee("late fee payment of nothing", e =>
        {
            D(e)["total"] = 0;
            D(e)["payment"]!["amount"] = 0;
            D(e)["return"]!["late_fee"] = 0;
        }, SchemaRange),
        LateFee("late fee payment typed as a return", e => D(e)["transaction_type"] = "return", SchemaEnum),
    };

    private static Case LateFee(string name, Action<JsonObject> mutate, params string[] codes) => Mutated(name, () => SampleEvents.LateFeePaid(), mutate, codes);

    private static string SaleWithSubject(string marker)
    {
        var e = SampleEvents.Sale();
        e["subject"] = marker;
        return e.ToJsonString();
    }

    [Fact]
    public void Cases_Catalog_HasAtLeastThirtyBadEvents() => Assert.True(Cases.Count >= 30);

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task PostDapr_BadEvent_IsAnsweredSuccessAndLandsInRejectedWithItsCodes(Case c)
    {
        var marker = Guid.NewGuid().ToString();
        var (body, contentType) = c.Build(marker);
        var (status, dapr) = await sink.Host.PostDaprAsync(body, contentType, SinkFixture.AppToken);
        Assert.Equal(200, status);
        Assert.Equal("SUCCESS", dapr);

        var rejection = await sink.RejectionContainingAsync(marker);
        Assert.Equal(c.Codes.Order(), LakeFiles.Codes(rejection));
        Assert.Equal("dapr", rejection.GetProperty("source").GetProperty("transport").GetString());
        Assert.Empty(BigQuerySchema.Violations(rejection, BigQuerySchema.Load("rejected.schema.json")));
        Assert.DoesNotContain(LakeFiles.Transactions(sink.Host.Lake), r => r.GetRawText().Contains(marker, StringComparison.Ordinal));
    }

    [Fact]
    public async Task PostDapr_ValidEventsOfEveryKind_LandInTransactionsConformingToBigQuerySchema()
    {
        var schema = BigQuerySchema.Load("transactions.schema.json");
        foreach (var e in SampleEvents.AllValid())
        {
            var (_, dapr) = await sink.Host.PostDaprAsync(e.Bytes(), token: SinkFixture.AppToken);
            Assert.Equal("SUCCESS", dapr);
            var row = await sink.TransactionAsync(e.Id());
            Assert.Empty(BigQuerySchema.Violations(row, schema));
        }
        // Each type in its own partition, the late fee payment's too.
        foreach (var type in TradeMaster.Contracts.Events.EventTypes.All)
        {
            Assert.NotEmpty(Directory.GetFiles(Path.Combine(sink.Host.Lake, "transactions", $"event_type={type}", "dt=2025-03-01"), "*.ndjson"));
        }
        // Every row any test of this class wrote conforms, not only these.
        Assert.All(LakeFiles.Transactions(sink.Host.Lake), r => Assert.Empty(BigQuerySchema.Violations(r, schema)));
    }

    [Fact]
    public void FastPath_EveryCatalogEventAndValidSample_AgreesWithNJsonSchema()
    {
        var datas = new List<(string Type, JsonNode Data)>();
        foreach (var c in ((IEnumerable<object[]>)Cases).Select(row => (Case)row[0]))
        {
            var (body, _) = c.Build(Guid.NewGuid().ToString());
            try
            {
                var node = JsonNode.Parse(body);
                if (node is JsonObject o && o["data"] is { } d && o["type"]?.GetValueKind() == System.Text.Json.JsonValueKind.String
                    && TradeMaster.Contracts.Events.EventTypes.All.Contains(o["type"]!.GetValue<string>()))
                {
                    datas.Add((o["type"]!.GetValue<string>(), d));
                }
            }
            catch (System.Text.Json.JsonException)
            {
            }
        }
        datas.AddRange(SampleEvents.AllValid().Select(e => (e["type"]!.GetValue<string>(), e["data"]!)));
        Assert.True(datas.Count > 35);
        foreach (var (type, data) in datas)
        {
            using var doc = System.Text.Json.JsonDocument.Parse(data.ToJsonString());
            Assert.True(Validation.Schemas.HasFastPath(type), $"{type} should have a fast path");
            Assert.Equal(Validation.Schemas.IsValidByAuthority(type, doc.RootElement), Validation.Schemas.IsValidByFastPath(type, doc.RootElement));
        }
    }
}
