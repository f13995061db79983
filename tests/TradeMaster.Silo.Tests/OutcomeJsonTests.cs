using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.History;

namespace TradeMaster.Silo.Tests;

/// <summary>
/// Every journal row holds its answer as JSON, and a retry after a restart is answered from it: the generated
/// serializer must write the bytes the reflection serializer wrote, and read what it wrote.
/// </summary>
public sealed class OutcomeJsonTests
{
    private static readonly JsonSerializerOptions Reflection = new(JsonSerializerDefaults.Web) { TypeInfoResolver = new DefaultJsonTypeInfoResolver() };

    private static readonly DateTimeOffset At = new(2026, 11, 20, 12, 30, 15, 123, TimeSpan.Zero);

    public static TheoryData<string> Outcomes() => ["sale", "rental", "return with fee owed", "refusal", "refusal of an item"];

    [Theory]
    [MemberData(nameof(Outcomes))]
    public void OutcomeBytes_AnyOutcome_IsWhatTheReflectionSerializerWroteAndReadsBack(string name)
    {
        var outcome = Sample(name);

        var bytes = LedgerHistory.OutcomeBytes(outcome);

        Assert.Equal(JsonSerializer.Serialize(outcome, Reflection), System.Text.Encoding.UTF8.GetString(bytes));
        var read = LedgerHistory.ReadOutcome(JsonSerializer.SerializeToUtf8Bytes(outcome, Reflection));
        Assert.Equal(bytes, LedgerHistory.OutcomeBytes(read));
        Assert.Equal(outcome.Receipt?.Lines.Length, read.Receipt?.Lines.Length);
        Assert.Equal(outcome with { Receipt = null }, read with { Receipt = null });
    }

    private static TransactionOutcome Sample(string name)
    {
        var id = Guid.Parse("0b9a3c1e-5d2f-4e7a-9c1b-2f3e4d5c6b7a");
        var rentalId = Guid.Parse("5d2f8c0e-1b7a-4e3c-8f60-9a1d2b3c4e5f");
        var eventId = Guid.Parse("4530ba0d-a47d-5449-b6b5-e59d1e0509ff");
        var line = new ReceiptLine(1, 3007, "Breaking Bad - 1ª Temporada \"DVD\" <box>", MediaType.SeriesDvd, "Drama", 2, 13.98m, 0.5m, 27.46m, 6.99m);
        Receipt Receipt(TransactionKind kind, PaymentInfo? payment, RentalTerms? rental, ReturnInfo? ret) =>
            new(id, kind, 4, 17, kind == TransactionKind.Sale ? null : 42, At, new DateOnly(2026, 11, 20), [line, line with { LineNumber = 2, DailyPrice = null }],
                27.46m, payment, rental, ret, eventId);
        return name switch
        {
            "sale" => new(id, TransactionKind.Sale, 4, Receipt(TransactionKind.Sale, new PaymentInfo(PaymentMethod.CreditCard, 3, 27.46m), null, null), null, eventId, At),
            "rental" => new(id, TransactionKind.Rental, 4,
                Receipt(TransactionKind.Rental, new PaymentInfo(PaymentMethod.Pix, 1, 20.97m), new RentalTerms(rentalId, 3, new DateOnly(2026, 11, 20), new DateOnly(2026, 11, 23)), null),
                null, eventId, At),
            "return with fee owed" => new(id, TransactionKind.Return, 4,
                Receipt(TransactionKind.Return, null, null, new ReturnInfo(rentalId, At.AddDays(-5), new DateOnly(2026, 11, 18), At, 2, 13.98m, false)),
                null, eventId, At),
            "refusal" => new(id, TransactionKind.Rental, 4, null, new Refusal("rental_limit_exceeded", "Customer 42 has 5 copies out; the limit is 5."), eventId, At),
            _ => new(id, TransactionKind.Sale, 4, null, new Refusal("insufficient_stock", "Only 1 of item 3007 in stock.", 3007), null, At),
        };
    }
}
