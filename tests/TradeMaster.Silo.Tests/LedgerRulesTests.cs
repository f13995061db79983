using System.Collections.Frozen;
using System.Collections.Immutable;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.Tests;

public sealed class LedgerRulesTests
{
    private static readonly FrozenDictionary<int, ItemDetails> Catalog = new Dictionary<int, ItemDetails>
    {
        [1] = new(1, "Dom Casmurro", MediaType.Book, "Romance", null, "9788535910663", 39.90m, 2.90m, Sellable: true, Rentable: false, Active: true, 1899, "Machado de Assis"),
        [2] = new(2, "Central do Brasil", MediaType.Movie, "Drama", "7891234567895", null, 29.90m, 4.90m, Sellable: true, Rentable: true, Active: true, 1998, null),
        [3] = new(3, "Velho Chico — Temporada 1", MediaType.SeriesDvd, "Drama", "7892234567894", null, 99.90m, 9.90m, Sellable: false, Rentable: true, Active: true, 2016, null),
        [4] = new(4, "Fora de catálogo", MediaType.Movie, "Comédia", "7893234567893", null, 9.90m, 1.90m, Sellable: true, Rentable: true, Active: false, 2001, null),
    }.ToFrozenDictionary();

    private static readonly LedgerOptions Options = new();

    [Fact]
    public void PriceSale_BulkLine_GetsTheDiscountAndLinesAddUp()
    {
        var (lines, refusal) = LedgerRules.PriceSale([new LineRequest(1, 5), new LineRequest(2, 1)], Catalog, Options);

        Assert.Null(refusal);
        Assert.Equal(39.90m, lines[0].UnitPrice);
        Assert.Equal(19.95m, lines[0].Discount);          // 10 % of 199.50
        Assert.Equal(179.55m, lines[0].LineTotal);
        Assert.Equal(0m, lines[1].Discount);
        Assert.Equal(29.90m, lines[1].LineTotal);
        Assert.All(lines, l => Assert.Equal(l.Quantity * l.UnitPrice - l.Discount, l.LineTotal));
        Assert.Equal([1, 2], lines.Select(l => l.LineNumber));
    }

    [Theory]
    [InlineData(3, RefusalCodes.ItemNotSellable)]
    [InlineData(4, RefusalCodes.ItemInactive)]
    [InlineData(99, RefusalCodes.ItemUnknown)]
    public void PriceSale_ItemThatCannotBeSold_IsRefusedNamingTheItem(int itemId, string code)
    {
        var (_, refusal) = LedgerRules.PriceSale([new LineRequest(2, 1), new LineRequest(itemId, 1)], Catalog, Options);

        Assert.Equal(code, refusal!.Code);
        Assert.Equal(itemId, refusal.ItemId);
    }

    [Fact]
    public void PriceRental_ChargesDailyPriceTimesDaysPerCopy()
    {
        var (lines, refusal) = LedgerRules.PriceRental([new LineRequest(3, 2)], 4, Catalog);

        Assert.Null(refusal);
        Assert.Equal(39.60m, lines[0].UnitPrice);
        Assert.Equal(79.20m, lines[0].LineTotal);
        Assert.Equal(9.90m, lines[0].DailyPrice);
        Assert.Equal(RefusalCodes.ItemNotRentable, LedgerRules.PriceRental([new LineRequest(1, 1)], 4, Catalog).Refusal!.Code);
    }

    [Fact]
    public void CheckSaleStock_SameTitleOnTwoLines_CountsBothLines()
    {
        ImmutableArray<LineRequest> lines = [new LineRequest(2, 2), new LineRequest(2, 2)];
        var stock = new Dictionary<int, StockEntry> { [2] = new(3, 0, 0) };

        var refusal = LedgerRules.CheckSaleStock(LedgerRules.CopiesPerItem(lines), stock);

        Assert.Equal(RefusalCodes.InsufficientStock, refusal!.Code);
        Assert.Null(LedgerRules.CheckSaleStock(LedgerRules.CopiesPerItem([new LineRequest(2, 3)]), stock));
    }

    [Fact]
    public void CheckRentalStock_HeldCopies_AreNotAvailable()
    {
        var stock = new Dictionary<int, StockEntry> { [3] = new(0, 4, 2) };

        Assert.Null(LedgerRules.CheckRentalStock(new Dictionary<int, int> { [3] = 2 }, stock, new Dictionary<int, int>()));
        Assert.Equal(RefusalCodes.InsufficientRentalCopies,
            LedgerRules.CheckRentalStock(new Dictionary<int, int> { [3] = 2 }, stock, new Dictionary<int, int> { [3] = 1 })!.Code);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 0)]
    [InlineData(3, 2)]
    public void LateDays_GraceDays_AreNotCharged(int daysAfterDue, int grace)
    {
        var due = new DateOnly(2026, 11, 20);
        var late = LedgerRules.LateDays(due, due.AddDays(daysAfterDue), new LateFeePolicy { GraceDays = grace });
        Assert.Equal(Math.Max(0, daysAfterDue - grace), late);
        Assert.Equal(0, LedgerRules.LateDays(due, due.AddDays(-1), new LateFeePolicy()));
    }

    [Fact]
    public void LateFee_CapApplied_ShowsAsDiscountsSoLinesStillAddUp()
    {
        ImmutableArray<RentalLineEntry> rented =
        [
            new(2, 1, 4.90m, "Central do Brasil", MediaType.Movie, "Drama"),
            new(3, 2, 9.90m, "Velho Chico", MediaType.SeriesDvd, "Drama"),
        ];
        var policy = new LateFeePolicy { Cap = 50m };

        var fee = LedgerRules.LateFee(3, rented, policy);
        var lines = LedgerRules.ReturnLines(rented, 3, fee, policy);

        Assert.Equal(50m, fee);                              // uncapped: 3 × (4.90 + 19.80) = 74.10
        Assert.Equal(fee, lines.Sum(l => l.LineTotal));
        Assert.All(lines, l => Assert.True(l.LineTotal >= 0));
        Assert.Equal(74.10m, LedgerRules.LateFee(3, rented, new LateFeePolicy()));
    }

    [Fact]
    public void CheckPayment_InstallmentsOnlyOnCreditCardUpToTwelve()
    {
        Assert.Null(LedgerRules.CheckPayment(new PaymentRequest(PaymentMethod.CreditCard, 12)));
        Assert.Null(LedgerRules.CheckPayment(new PaymentRequest(PaymentMethod.Pix, 1)));
        Assert.Equal(RefusalCodes.PaymentInvalid, LedgerRules.CheckPayment(new PaymentRequest(PaymentMethod.CreditCard, 13))!.Code);
        Assert.Equal(RefusalCodes.PaymentInvalid, LedgerRules.CheckPayment(new PaymentRequest(PaymentMethod.Cash, 2))!.Code);
    }

    [Fact]
    public void CheckEmployee_OtherStoreOrInactive_IsRefused()
    {
        Assert.Equal(RefusalCodes.EmployeeNotAtStore, LedgerRules.CheckEmployee(new(7, 2, EmployeeRole.Clerk, true), 7, 1)!.Code);
        Assert.Equal(RefusalCodes.EmployeeInactive, LedgerRules.CheckEmployee(new(7, 1, EmployeeRole.Clerk, false), 7, 1)!.Code);
        Assert.Equal(RefusalCodes.EmployeeUnknown, LedgerRules.CheckEmployee(null, 7, 1)!.Code);
        Assert.Null(LedgerRules.CheckEmployee(new(7, 1, EmployeeRole.Manager, true), 7, 1));
    }
}
