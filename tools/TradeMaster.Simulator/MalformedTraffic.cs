using System.Globalization;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;

namespace TradeMaster.Simulation;

/// <summary>
/// The deliberately bad share of the mix. Each kind has one defect only, so the answer it gets says exactly which
/// check caught it: bad API calls expect a 4xx from the gateway, bad CloudEvents a place in the lake's rejected set.
/// Called by <see cref="TrafficMix"/> under its lock.
/// </summary>
internal sealed class MalformedTraffic(TrafficMix mix)
{
    /// <summary>Defects of API calls, each answered 400 (or 415) by the gateway.</summary>
    private static readonly string[] RequestDefectNames =
    [
        "wrong_type", "negative_quantity", "unknown_payment_method", "unknown_media_type", "missing_field",
        "invalid_json", "wrong_content_type", "installments_without_credit_card",
    ];

    /// <summary>Defects of CloudEvents, each refused by the sink's validation.</summary>
    private static readonly string[] EventDefectNames =
    [
        "total_mismatch", "cpf_in_clear", "unknown_type_version", "truncated_json", "negative_quantity", "email_in_clear",
    ];

    public static IReadOnlyList<string> RequestDefects => RequestDefectNames;

    public static IReadOnlyList<string> EventDefects => EventDefectNames;

    /// <summary>The Dapr topic route of the sink (SinkRoutes.DaprTopic; a test keeps them equal).</summary>
    public const string SinkDaprTopicPath = "/sink/dapr/transactions";

    public SimulatedRequest Request(long sequence, StoreProfile store)
    {
        var random = mix.Faker.Random;
        var defect = random.ArrayElement(RequestDefectNames);
        var employeeId = random.ArrayElement(store.ActiveClerks);
        var itemId = random.ArrayElement(store.SaleShelf);
        var transactionId = mix.NewTransactionId();
        if (defect == "unknown_media_type")
        {
            // The catalog search with a media type the chain does not carry.
            return new SimulatedRequest
            {
                Sequence = sequence,
                Kind = TrafficKind.MalformedRequest,
                Method = HttpMethod.Get,
                Path = "/api/v1/items?mediaType=" + random.ArrayElement(["vinil", "blu_ray", "vhs", "cd"]),
                ApiKey = store.ClerkApiKey,
                StoreId = store.StoreId,
                Defect = defect,
            };
        }

        var rental = defect == "missing_field";
        var w = mix.BeginJson();
        w.WriteStartObject();
        w.WriteString("transactionId", transactionId);
        w.WriteNumber("employeeId", employeeId);
        if (rental) w.WriteNumber("customerId", mix.PickCustomer().CustomerId);
        w.WriteStartArray("lines");
        w.WriteStartObject();
        w.WriteNumber("itemId", rental ? random.ArrayElement(store.RentalShelf) : itemId);
        switch (defect)
        {
            case "wrong_type": w.WriteString("quantity", "dois"); break;
            case "negative_quantity": w.WriteNumber("quantity", -random.Number(1, 3)); break;
            default: w.WriteNumber("quantity", 1); break;
        }
        w.WriteEndObject();
        w.WriteEndArray();
        // missing_field: a rental without "days".
        w.WriteStartObject("payment");
        switch (defect)
        {
            case "unknown_payment_method":
                w.WriteString("method", random.ArrayElement(["boleto", "cheque", "crediario"]));
                break;
            case "installments_without_credit_card":
                w.WriteString("method", "pix");
                w.WriteNumber("installments", random.Number(2, 6));
                break;
            default:
                w.WriteString("method", "pix");
                break;
        }
        w.WriteEndObject();
        w.WriteEndObject();
        var body = mix.EndJson();
        if (defect == "invalid_json") body = body[..(body.Length * 2 / 3)];

        return new SimulatedRequest
        {
            Sequence = sequence,
            Kind = TrafficKind.MalformedRequest,
            Method = HttpMethod.Post,
            Path = TrafficMix.StorePath(store.StoreId, rental ? "rentals" : "sales"),
            ApiKey = store.ClerkApiKey,
            BodyJson = body,
            ContentType = defect == "wrong_content_type" ? "text/plain" : SimulatedRequest.JsonContentType,
            StoreId = store.StoreId,
            TransactionId = transactionId,
            EmployeeId = employeeId,
            Defect = defect,
        };
    }

    /// <summary>
    /// A sale.completed CloudEvent as a Dapr sidecar delivers it (structured mode, with Dapr's extension attributes),
    /// correct in every field but one.
    /// </summary>
    public SimulatedRequest Event(long sequence, StoreProfile store)
    {
        var random = mix.Faker.Random;
        var defect = random.ArrayElement(EventDefectNames);
        var now = mix.Time.GetUtcNow().AddSeconds(-random.Number(1, 30));
        var eventId = mix.NewTransactionId();
        var transactionId = mix.NewTransactionId();
        var employeeId = random.ArrayElement(store.ActiveClerks);
        Span<int> items = stackalloc int[2];
        var lineCount = mix.PickDistinct(store.SaleShelf, random.Number(1, 2), items);
        var type = defect == "unknown_type_version" ? EventTypes.SaleCompleted[..^1] + "2" : EventTypes.SaleCompleted;
        var traceParent = $"00-{mix.RandomHex(16)}-{mix.RandomHex(8)}-01";
        var storeId = store.StoreId.ToString(CultureInfo.InvariantCulture);

        var w = mix.BeginJson();
        w.WriteStartObject();
        w.WriteString("specversion", "1.0");
        w.WriteString("id", eventId);
        w.WriteString("source", $"{Messaging.EventSource}/stores/{storeId}");
        w.WriteString("type", type);
        w.WriteString("subject", $"stores/{storeId}");
        w.WriteString("time", now);
        w.WriteString("datacontenttype", "application/json");
        w.WriteString("dataschema", EventJson.DataSchemaUri(EventTypes.SaleCompleted));
        w.WriteString("partitionkey", storeId);
        // What the Dapr sidecar adds on delivery.
        w.WriteString("pubsubname", Messaging.PubSubName);
        w.WriteString("topic", Messaging.TransactionsTopic);
        w.WriteString("traceid", traceParent);
        w.WriteString("traceparent", traceParent);
        w.WriteString("tracestate", "");

        w.WriteStartObject("data");
        w.WriteString("transaction_id", transactionId);
        w.WriteString("transaction_type", "sale");
        w.WriteString("occurred_at", now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture));
        w.WriteString("local_date", DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(now, store.TimeZone).DateTime)
            .ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        w.WriteStartObject("store");
        w.WriteNumber("id", store.StoreId);
        w.WriteString("name", store.Store.Name);
        w.WriteString("city", store.Store.City);
        w.WriteString("state", store.Store.State);
        w.WriteString("timezone", store.Store.Timezone);
        w.WriteEndObject();
        w.WriteStartObject("employee");
        w.WriteNumber("id", employeeId);
        w.WriteString("role", "clerk");
        w.WriteEndObject();
        w.WriteStartObject("customer");
        if (defect == "cpf_in_clear")
        {
            // A producer that forgot to pseudonymise: the CPF itself instead of its keyed hash.
            w.WriteString("key", BrazilianDocuments.FormatCpf(mix.PickCustomer().Cpf));
        }
        else
        {
            w.WriteString("key", mix.RandomHex(32));
        }
        if (defect == "email_in_clear") w.WriteString("email", mix.Faker.Internet.Email(provider: "gmail.com"));
        w.WriteEndObject();
        w.WriteString("currency", "BRL");

        var total = 0m;
        w.WriteStartArray("lines");
        for (var i = 0; i < lineCount; i++)
        {
            var item = mix.Catalog.Items[items[i]];
            var quantity = defect == "negative_quantity" && i == 0 ? -1 : random.Double() < 0.85 ? 1 : random.Number(2, 3);
            var lineTotal = quantity * item.SalePrice;
            total += lineTotal;
            w.WriteStartObject();
            w.WriteNumber("line_number", i + 1);
            w.WriteNumber("item_id", item.ItemId);
            w.WriteString("title", item.Title);
            w.WriteString("media_type", WireNames.Of(item.MediaType));
            w.WriteString("genre", item.Genre);
            w.WriteNumber("quantity", quantity);
            w.WriteNumber("unit_price", item.SalePrice);
            w.WriteNumber("discount", 0.00m);
            w.WriteNumber("line_total", lineTotal);
            w.WriteNull("daily_price");
            w.WriteEndObject();
        }
        w.WriteEndArray();
        // total_mismatch: a till that added a bag or forgot a line; the sum of the lines says otherwise.
        var reported = defect == "total_mismatch" ? total + random.Number(1, 20) + 0.90m : total;
        w.WriteNumber("total", reported);
        w.WriteStartObject("payment");
        w.WriteString("method", "pix");
        w.WriteNumber("installments", 1);
        w.WriteNumber("amount", reported);
        w.WriteEndObject();
        w.WriteNull("rental");
        w.WriteNull("return");
        w.WriteEndObject();
        w.WriteEndObject();
        var body = mix.EndJson();
        if (defect == "truncated_json") body = body[..(body.Length * 11 / 20)];

        return new SimulatedRequest
        {
            Sequence = sequence,
            Kind = TrafficKind.MalformedEvent,
            Target = TrafficTarget.Sink,
            Method = HttpMethod.Post,
            Path = SinkDaprTopicPath,
            BodyJson = body,
            ContentType = SimulatedRequest.CloudEventsContentType,
            StoreId = store.StoreId,
            TransactionId = transactionId,
            EmployeeId = employeeId,
            Defect = defect,
        };
    }
}
