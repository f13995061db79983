using System.Collections.Frozen;
using System.Collections.Immutable;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using TradeMaster.Silo;
using TradeMaster.Silo.Ledger;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Bench.Micro;

/// <summary>
/// Events exactly as the ledger makes them: LedgerRules prices the lines from the seed catalog and
/// <see cref="EventFactory"/> builds the CloudEvent (TransactionData through EventJson), with the seed's store,
/// clerk and a pseudonymised customer key.
/// </summary>
public sealed class BenchEvents
{
    private static readonly byte[] Secret = Convert.FromBase64String(TradeMaster.Local.LocalHost.DevCustomerKeySecret);
    private readonly StoreRecord _store;
    private readonly EmployeeRecord _clerk;
    private readonly string _customerKey;
    private readonly LedgerOptions _options = new();

    public BenchEvents()
    {
        var data = SeedDataGenerator.Generate();
        var s = data.Stores[0];
        _store = new StoreRecord(s.StoreId, s.Code, s.Name, s.City, s.State, s.Timezone, Active: true);
        var clerk = data.Employees.First(e => e.StoreId == s.StoreId && e.Role == EmployeeRole.Clerk && e.Active);
        _clerk = new EmployeeRecord(clerk.EmployeeId, clerk.StoreId, clerk.Role, clerk.Active);
        _customerKey = CustomerKeys.Compute(data.Customers[0].Cpf, Secret);
        Catalog = data.Items.ToFrozenDictionary(i => i.ItemId, i => new ItemDetails(i.ItemId, i.Title, i.MediaType, i.Genre, i.Ean, i.Isbn,
            i.SalePrice, i.DailyRentalPrice, i.Sellable, i.Rentable, i.Active, i.ReleaseYear, i.Creator));
        var stocked = data.Stock.Where(x => x.StoreId == s.StoreId && x.CopiesForSale > 0 && Catalog[x.ItemId] is { Sellable: true, Active: true, Rentable: true }).ToList();
        SaleLines = [new LineRequest(stocked[0].ItemId, 1), new LineRequest(stocked[1].ItemId, 2)];
        Stock = data.Stock.Where(x => x.StoreId == s.StoreId).ToDictionary(x => x.ItemId, x => new StockEntry(x.CopiesForSale, x.RentalCopiesOwned, 0));
    }

    public FrozenDictionary<int, ItemDetails> Catalog { get; }

    public ImmutableArray<LineRequest> SaleLines { get; }

    public Dictionary<int, StockEntry> Stock { get; }

    public LedgerOptions Options => _options;

    public int StoreId => _store.StoreId;

    /// <summary>A 2-line sale (customer identified, credit card in 3 installments).</summary>
    public byte[] Sale(Guid transactionId, DateTimeOffset now)
    {
        var (lines, _) = LedgerRules.PriceSale(SaleLines, Catalog, _options);
        var total = lines.Sum(l => l.LineTotal);
        var receipt = new Receipt(transactionId, TransactionKind.Sale, _store.StoreId, _clerk.EmployeeId, 1, now, _store.LocalDate(now), lines, total,
            new PaymentInfo(PaymentMethod.CreditCard, 3, total), null, null, EventIds.For(_store.StoreId, transactionId, TransactionKind.Sale, accepted: true));
        return EventFactory.Accepted(receipt, _store, _clerk, _customerKey).Json;
    }

    public byte[] Rental(Guid transactionId, DateTimeOffset now)
    {
        var (lines, _) = LedgerRules.PriceRental([SaleLines[0]], 3, Catalog);
        var total = lines.Sum(l => l.LineTotal);
        var start = _store.LocalDate(now);
        var receipt = new Receipt(transactionId, TransactionKind.Rental, _store.StoreId, _clerk.EmployeeId, 1, now, start, lines, total,
            new PaymentInfo(PaymentMethod.Pix, 1, total), new RentalTerms(transactionId, 3, start, start.AddDays(3)), null,
            EventIds.For(_store.StoreId, transactionId, TransactionKind.Rental, accepted: true));
        return EventFactory.Accepted(receipt, _store, _clerk, _customerKey).Json;
    }

    public byte[] Refused(Guid transactionId, DateTimeOffset now) =>
        EventFactory.Refused(EventIds.For(_store.StoreId, transactionId, TransactionKind.Sale, accepted: false), transactionId, TransactionKind.Sale, now,
            _store, _clerk, _customerKey, new Refusal(RefusalCodes.InsufficientStock, $"Only 0 copies of item {SaleLines[0].ItemId} for sale at this store.", SaleLines[0].ItemId),
            SaleLines, Catalog, null, null).Json;

    /// <summary>The mix the sink sees: sales, rentals and refusals in a fixed rotation.</summary>
    public byte[] Mixed(long n, DateTimeOffset now)
    {
        var id = Guid.CreateVersion7();
        return (n % 10) switch
        {
            < 6 => Sale(id, now),
            < 9 => Rental(id, now),
            _ => Refused(id, now),
        };
    }
}
