using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Bench.Micro;

/// <summary>
/// The store grain's in-memory apply path for a 2-line sale: shape check, catalog pricing, copies per item and
/// the stock check (LedgerRules, as StoreGrain.ApplySaleAsync calls them), plus building the event as the commit does.
/// </summary>
[MemoryDiagnoser]
public class LedgerApplyBenchmarks
{
    private BenchEvents _events = null!;
    private ImmutableArray<LineRequest> _lines;

    [GlobalSetup]
    public void Setup()
    {
        _events = new BenchEvents();
        _lines = _events.SaleLines;
    }

    [Benchmark(Baseline = true)]
    public bool PriceAndCheckStock()
    {
        if (LedgerRules.CheckShape(_lines, _events.Options) is not null) return false;
        var (priced, refusal) = LedgerRules.PriceSale(_lines, _events.Catalog, _events.Options);
        if (refusal is not null || priced.Length != 2) return false;
        var copies = LedgerRules.CopiesPerItem(_lines);
        return LedgerRules.CheckSaleStock(copies, _events.Stock) is null;
    }

    [Benchmark]
    public int PriceCheckAndBuildEvent() =>
        PriceAndCheckStock() ? _events.Sale(Guid.CreateVersion7(), DateTimeOffset.UtcNow).Length : 0;

    /// <summary>The request fingerprint every new transaction id costs (web JSON + SHA-256).</summary>
    [Benchmark]
    public string SaleFingerprint() => Fingerprint.Of(1, SaleCommand());

    private SaleCommand SaleCommand() => new(Guid.CreateVersion7(), 17, 42, _lines, new PaymentRequest(PaymentMethod.CreditCard, 3));
}
