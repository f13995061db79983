using System.Text.Json;
using System.Text.Json.Nodes;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Sink.Tests;

/// <summary>Valid events of every type, serialized by the contract's own records and EventJson, as JsonNode to mutate.</summary>
internal static class SampleEvents
{
    public static readonly DateTimeOffset OccurredAt = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);
    public static readonly DateOnly LocalDate = new(2025, 3, 1);
    public const string CustomerKey = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    private static readonly StoreRef Store = new(7, "TradeMaster Pinheiros", "São Paulo", "SP", "America/Sao_Paulo");
    private static readonly EmployeeRef Clerk = new(31, "clerk");

    public static JsonObject Sale(Guid? eventId = null, Guid? transactionId = null)
    {
        var tx = transactionId ?? Guid.NewGuid();
        var data = new TransactionData(tx, "sale", OccurredAt, LocalDate, Store, Clerk, new CustomerRef(CustomerKey), "BRL",
            [
                new EventLine(1, 101, "Dom Casmurro", "book", "Romance", 2, 19.99m, 0.30m, 39.68m),
                new EventLine(2, 202, "Cidade de Deus", "movie", "Drama", 1, 29.90m, 0m, 29.90m),
            ],
            69.58m, new EventPayment("credit_card", 3, 69.58m), null, null);
        return Envelope(eventId ?? Guid.NewGuid(), EventTypes.SaleCompleted, data);
    }

    public static JsonObject Rental(Guid? eventId = null)
    {
        var tx = Guid.NewGuid();
        var data = new TransactionData(tx, "rental", OccurredAt, LocalDate, Store, Clerk, new CustomerRef(CustomerKey), "BRL",
            [
                new EventLine(1, 303, "Breaking Bad T1", "series_dvd", "Drama", 1, 15.00m, 0m, 15.00m, 5.00m),
                new EventLine(2, 202, "Cidade de Deus", "movie", "Drama", 2, 9.00m, 1.00m, 17.00m, 3.00m),
            ],
            32.00m, new EventPayment("pix", 1, 32.00m), new RentalDetails(tx, 3, LocalDate, LocalDate.AddDays(3)), null);
        return Envelope(eventId ?? Guid.NewGuid(), EventTypes.RentalStarted, data);
    }

    public static JsonObject Return(Guid? eventId = null, bool late = true)
    {
        var tx = Guid.NewGuid();
        var rentalStart = OccurredAt.AddDays(-5);
        var lines = late
            ? new List<EventLine> { new(1, 303, "Breaking Bad T1", "series_dvd", "Drama", 1, 10.00m, 0m, 10.00m, 5.00m) }
            : [new(1, 303, "Breaking Bad T1", "series_dvd", "Drama", 1, 0m, 0m, 0m, 5.00m)];
        var fee = late ? 10.00m : 0m;
        var data = new TransactionData(tx, "return", OccurredAt, LocalDate, Store, Clerk, new CustomerRef(CustomerKey), "BRL",
            lines, fee, late ? new EventPayment("cash", 1, fee) : null, null,
            new ReturnDetails(Guid.NewGuid(), rentalStart, LocalDate.AddDays(-2), OccurredAt.AddMinutes(-5), late ? 2 : 0, fee, late));
        return Envelope(eventId ?? Guid.NewGuid(), EventTypes.RentalReturned, data);
    }

    /// <summary>The payment, days after a late return that left its fee owed, of that fee (the return as it was recorded, now paid).</summary>
    public static JsonObject LateFeePaid(Guid? eventId = null)
    {
        var rentalStart = OccurredAt.AddDays(-8);
        var data = new TransactionData(Guid.NewGuid(), "late_fee_payment", OccurredAt, LocalDate, Store, Clerk, new CustomerRef(CustomerKey), "BRL",
            [], 10.00m, new EventPayment("pix", 1, 10.00m), null,
            new ReturnDetails(Guid.NewGuid(), rentalStart, LocalDate.AddDays(-5), OccurredAt.AddDays(-3).AddHours(3.5), 2, 10.00m, true));
        return Envelope(eventId ?? Guid.NewGuid(), EventTypes.LateFeePaid, data);
    }

    public static JsonObject Refused(Guid? eventId = null)
    {
        var data = new RefusedTransactionData(Guid.NewGuid(), "sale", OccurredAt, LocalDate, Store, Clerk, null,
            new RefusalDetails("insufficient_stock", "Only 1 copy of item 101 left in stock.", 101),
            [new RequestedLine(101, 3, "Dom Casmurro", "book", "Romance"), new RequestedLine(999, 1, null, null, null)], null, null);
        return Envelope(eventId ?? Guid.NewGuid(), EventTypes.TransactionRefused, data);
    }

    /// <summary>A late fee payment the ledger refused: it names a rental, not items, and asks for no period.</summary>
    public static JsonObject RefusedLateFeePayment(Guid? eventId = null)
    {
        var rentalId = Guid.NewGuid();
        var data = new RefusedTransactionData(Guid.NewGuid(), "late_fee_payment", OccurredAt, LocalDate, Store, Clerk, new CustomerRef(CustomerKey),
            new RefusalDetails("late_fee_not_owed", $"Rental {rentalId} owes no late fee: it came back on time, or its fee is already paid.", null),
            [], rentalId, null);
        return Envelope(eventId ?? Guid.NewGuid(), EventTypes.TransactionRefused, data);
    }

    public static IEnumerable<JsonObject> AllValid() =>
        [Sale(), Rental(), Return(), Return(late: false), LateFeePaid(), Refused(), RefusedLateFeePayment(), AnonymousSale()];

    public static JsonObject AnonymousSale()
    {
        var e = Sale();
        e["data"]!["customer"] = null;
        e["data"]!["payment"] = JsonNode.Parse("""{"method":"cash","installments":1,"amount":69.58}""");
        return e;
    }

    private static JsonObject Envelope<T>(Guid eventId, string type, T data)
    {
        return JsonNode.Parse(EventJson.Serialize(eventId, type, 7, OccurredAt, data, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"))!.AsObject();
    }

    public static byte[] Bytes(this JsonNode node) => JsonSerializer.SerializeToUtf8Bytes(node);

    public static string Id(this JsonObject e) => e["id"]!.GetValue<string>();
}
