using System.Text.Json;
using System.Text.Json.Nodes;
using NJsonSchema;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Events.Tests;

public sealed class SchemaTests
{
    public static TheoryData<string> Types => new(EventTypes.All);

    public static TheoryData<string, string> ValidSamples => new()
    {
        { EventTypes.SaleCompleted, Json(SampleEvents.Sale()) },
        { EventTypes.SaleCompleted, Json(SampleEvents.Sale(withCustomer: false, method: "cash", installments: 1)) },
        { EventTypes.SaleCompleted, Json(SampleEvents.Sale(method: "credit_card", installments: 12)) },
        { EventTypes.SaleCompleted, Json(SampleEvents.Sale(method: "pix", installments: 1)) },
        { EventTypes.RentalStarted, Json(SampleEvents.Rental()) },
        { EventTypes.RentalReturned, Json(SampleEvents.Return(feePaid: true)) },
        { EventTypes.RentalReturned, Json(SampleEvents.Return(feePaid: false)) },
        { EventTypes.TransactionRefused, Json(SampleEvents.Refused(withCustomer: true)) },
        { EventTypes.TransactionRefused, Json(SampleEvents.Refused(withCustomer: false)) },
    };

    [Theory]
    [MemberData(nameof(Types))]
    public async Task SchemaFile_Parsed_HasIdOfTypeAndClosedObject(string type)
    {
        var schema = await Repo.SchemaAsync(type);
        using var raw = JsonDocument.Parse(await File.ReadAllTextAsync(Repo.SchemaPath(type)));

        Assert.Equal(EventJson.DataSchemaUri(type), raw.RootElement.GetProperty("$id").GetString());
        Assert.Equal(EventTypes.SchemaFileName(type), Path.GetFileName(schema.DocumentPath));
        Assert.Equal(JsonObjectType.Object, schema.Type);
        Assert.False(schema.AllowAdditionalProperties);
        Assert.NotEmpty(schema.RequiredProperties);
        Assert.Equal(schema.Properties.Keys.OrderBy(k => k), schema.RequiredProperties.OrderBy(k => k));
    }

    [Theory]
    [MemberData(nameof(Types))]
    public void SchemaFile_EveryProperty_HasDescriptionAndClosedObjects(string type)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Repo.SchemaPath(type)));
        Assert.Equal("http://json-schema.org/draft-07/schema#", doc.RootElement.GetProperty("$schema").GetString());
        var problems = new List<string>();
        Walk(doc.RootElement, "#", problems);
        Assert.Empty(problems);

        static void Walk(JsonElement schema, string path, List<string> problems)
        {
            if (IsObjectSchema(schema) && !(schema.TryGetProperty("additionalProperties", out var ap) && ap.ValueKind == JsonValueKind.False))
            {
                problems.Add($"{path}: object without additionalProperties=false");
            }
            if (schema.TryGetProperty("properties", out var props))
            {
                foreach (var p in props.EnumerateObject())
                {
                    if (!p.Value.TryGetProperty("description", out var d) || string.IsNullOrWhiteSpace(d.GetString()))
                    {
                        problems.Add($"{path}/{p.Name}: no description");
                    }
                    Walk(p.Value, $"{path}/{p.Name}", problems);
                }
            }
            if (schema.TryGetProperty("items", out var items)) Walk(items, $"{path}/items", problems);
        }

        static bool IsObjectSchema(JsonElement schema) =>
            schema.TryGetProperty("type", out var t) &&
            (t.ValueKind == JsonValueKind.String ? t.GetString() == "object" : t.EnumerateArray().Any(x => x.GetString() == "object"));
    }

    [Fact]
    public async Task RefusedSchema_RefusalCodes_AreTheLedgerCodesThatProduceEvents()
    {
        var schema = await Repo.SchemaAsync(EventTypes.TransactionRefused);
        var codes = schema.Properties["refusal"].Properties["code"].Enumeration.Cast<string>().Order();

        Assert.Equal(RefusalCodes.All.Where(c => !RefusalCodes.IsIdempotencyConflict(c)).Order(), codes);
    }

    [Theory]
    [MemberData(nameof(ValidSamples))]
    public async Task Validate_RealisticData_HasNoErrors(string type, string json)
    {
        var schema = await Repo.SchemaAsync(type);

        var errors = schema.Validate(json);

        Assert.True(errors.Count == 0, string.Join("; ", errors.Select(e => $"{e.Path}: {e.Kind}")));
    }

    [Theory]
    [InlineData("missing transaction_id")]
    [InlineData("missing store.city")]
    [InlineData("wrong media_type")]
    [InlineData("wrong payment method")]
    [InlineData("wrong currency")]
    [InlineData("wrong role")]
    [InlineData("string store id")]
    [InlineData("zero item id")]
    [InlineData("extra field")]
    [InlineData("extra line field")]
    [InlineData("negative price")]
    [InlineData("fractional cent")]
    [InlineData("installments on cash")]
    [InlineData("13 installments")]
    [InlineData("rental on a sale")]
    [InlineData("bad uuid")]
    [InlineData("bad local_date")]
    [InlineData("occurred_at not utc")]
    [InlineData("plain cpf as customer key")]
    [InlineData("transaction_type rental")]
    [InlineData("no lines")]
    public async Task Validate_BrokenSale_HasErrors(string breakage)
    {
        var schema = await Repo.SchemaAsync(EventTypes.SaleCompleted);
        var data = JsonSerializer.SerializeToNode(SampleEvents.Sale(), EventJson.Options)!.AsObject();
        var line = data["lines"]![0]!.AsObject();
        switch (breakage)
        {
            case "missing transaction_id": data.Remove("transaction_id"); break;
            case "missing store.city": data["store"]!.AsObject().Remove("city"); break;
            case "wrong media_type": line["media_type"] = "vhs"; break;
            case "wrong payment method": data["payment"]!["method"] = "cheque"; break;
            case "wrong currency": data["currency"] = "USD"; break;
            case "wrong role": data["employee"]!["role"] = "owner"; break;
            case "string store id": data["store"]!["id"] = "7"; break;
            case "zero item id": line["item_id"] = 0; break;
            case "extra field": data["cpf"] = "12345678909"; break;
            case "extra line field": line["cost"] = 10.5m; break;
            case "negative price": line["unit_price"] = -1.00m; break;
            case "fractional cent": line["unit_price"] = 39.905m; break;
            case "installments on cash": data["payment"]!["method"] = "cash"; break;
            case "13 installments": data["payment"]!["installments"] = 13; break;
            case "rental on a sale": data["rental"] = JsonSerializer.SerializeToNode(SampleEvents.Rental().Rental, EventJson.Options); break;
            case "bad uuid": data["transaction_id"] = "not-a-uuid"; break;
            case "bad local_date": data["local_date"] = "14/03/2025"; break;
            case "occurred_at not utc": data["occurred_at"] = "2025-03-14T15:22:05.123-03:00"; break;
            case "plain cpf as customer key": data["customer"]!["key"] = "12345678909"; break;
            case "transaction_type rental": data["transaction_type"] = "rental"; break;
            case "no lines": data["lines"] = new JsonArray(); break;
            default: throw new ArgumentOutOfRangeException(nameof(breakage));
        }

        var errors = schema.Validate(data.ToJsonString());

        Assert.NotEmpty(errors);
    }

    [Theory]
    [InlineData(EventTypes.RentalStarted, "customer", null)]
    [InlineData(EventTypes.RentalStarted, "rental", null)]
    [InlineData(EventTypes.RentalStarted, "payment", null)]
    [InlineData(EventTypes.RentalStarted, "lines/0/daily_price", null)]
    [InlineData(EventTypes.RentalStarted, "rental/days", "0")]
    [InlineData(EventTypes.RentalReturned, "return", null)]
    [InlineData(EventTypes.RentalReturned, "return/late_days", "-1")]
    [InlineData(EventTypes.RentalReturned, "return/fee_paid", "\"yes\"")]
    [InlineData(EventTypes.RentalReturned, "transaction_type", "\"sale\"")]
    [InlineData(EventTypes.TransactionRefused, "refusal/code", "\"transaction_id_conflict\"")]
    [InlineData(EventTypes.TransactionRefused, "refusal/code", "\"no_reason\"")]
    [InlineData(EventTypes.TransactionRefused, "attempted_type", "\"exchange\"")]
    [InlineData(EventTypes.TransactionRefused, "store", null)]
    [InlineData(EventTypes.TransactionRefused, "lines/0/media_type", "\"dvd\"")]
    [InlineData(EventTypes.TransactionRefused, "rental_id", "\"r-1\"")]
    public async Task Validate_BrokenField_HasErrors(string type, string path, string? json)
    {
        var schema = await Repo.SchemaAsync(type);
        var data = JsonSerializer.SerializeToNode(Sample(type), EventJson.Options)!;
        var segments = path.Split('/');
        var parent = segments[..^1].Aggregate(data, (node, s) => int.TryParse(s, out var i) ? node[i]! : node[s]!);
        parent[segments[^1]] = json is null ? null : JsonNode.Parse(json);

        var errors = schema.Validate(data.ToJsonString());

        Assert.NotEmpty(errors);
    }

    [Fact]
    public async Task Validate_ReturnWithPaymentButMissingReturnField_ListsEveryError()
    {
        var schema = await Repo.SchemaAsync(EventTypes.RentalReturned);
        var data = JsonSerializer.SerializeToNode(SampleEvents.Return(), EventJson.Options)!.AsObject();
        data["return"]!.AsObject().Remove("late_fee");
        data["store"]!["state"] = "XX";

        var errors = schema.Validate(data.ToJsonString());

        Assert.Contains(errors, e => e.Kind == NJsonSchema.Validation.ValidationErrorKind.PropertyRequired && e.Property == "late_fee");
        Assert.Contains(errors, e => e.Kind == NJsonSchema.Validation.ValidationErrorKind.NotInEnumeration && e.Path!.Contains("state", StringComparison.Ordinal));
    }

    internal static string Json<T>(T data) => JsonSerializer.Serialize(data, EventJson.Options);

    private static object Sample(string type) => type switch
    {
        EventTypes.SaleCompleted => SampleEvents.Sale(),
        EventTypes.RentalStarted => SampleEvents.Rental(),
        EventTypes.RentalReturned => SampleEvents.Return(),
        _ => SampleEvents.Refused(),
    };
}
