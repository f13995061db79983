using System.Buffers;
using System.Collections.Immutable;
using System.Text.Json;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;

namespace TradeMaster.Bench.Load;

/// <summary>One till request: what it is (for direct grain calls) and its HTTP form (path, clerk key, body).</summary>
public sealed record BenchRequest(
    TransactionKind Kind,
    int StoreId,
    Guid TransactionId,
    int EmployeeId,
    int? CustomerId,
    ImmutableArray<LineRequest> Lines,
    int Days,
    Guid? RentalId,
    PaymentRequest? Payment,
    string Path,
    string ApiKey,
    byte[] Body)
{
    /// <summary>The deterministic event id the ledger gives this transaction's event.</summary>
    public Guid EventId(bool accepted) => EventIds.For(StoreId, TransactionId, Kind, accepted);
}

/// <summary>
/// A minimal realistic till mix over the seed data the embedded host seeds: sales (1–3 lines, 55% with a
/// customer), rentals (1–2 lines) and returns of rentals this mix saw opened, each store's dev clerk key.
/// Written for the benchmark while tools/TradeMaster.Simulator's <c>TrafficMix</c> was not yet committed; it has
/// no malformed share, so that every answer is a ledger answer and every event belongs in the lake. Thread-safe.
/// </summary>
public sealed class BenchMix : IDisposable
{
    private const double ReturnShare = 0.22;
    private const double SaleShare = 0.62;
    private static readonly PaymentMethod[] Methods = [PaymentMethod.Pix, PaymentMethod.CreditCard, PaymentMethod.DebitCard, PaymentMethod.Cash];

    private readonly Lock _gate = new();
    private readonly Random _random;
    private readonly Store[] _stores;
    private readonly int[] _customers;
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;

    public BenchMix(int seed = 20231125, int randomSeed = 1)
    {
        var data = SeedDataGenerator.Generate(new SeedOptions { Seed = seed });
        var items = data.Items.ToDictionary(i => i.ItemId);
        _stores =
        [
            .. data.Stores.Select(s => new Store(
                s.StoreId,
                SeedDataGenerator.DevApiKey(s.StoreId, EmployeeRole.Clerk),
                [.. data.Employees.Where(e => e.StoreId == s.StoreId && e.Role == EmployeeRole.Clerk && e.Active).Select(e => e.EmployeeId)],
                [.. data.Stock.Where(x => x.StoreId == s.StoreId && x.CopiesForSale > 0 && items[x.ItemId] is { Sellable: true, Active: true }).Select(x => x.ItemId)],
                [.. data.Stock.Where(x => x.StoreId == s.StoreId && x.RentalCopiesOwned > 0 && items[x.ItemId] is { Rentable: true, Active: true }).Select(x => x.ItemId)])),
        ];
        _customers = [.. data.Customers.Where(c => c.Active).Select(c => c.CustomerId)];
        _random = new Random(randomSeed);
        _writer = new Utf8JsonWriter(_buffer);
    }

    public int StoreCount => _stores.Length;

    public void Dispose() => _writer.Dispose();

    public BenchRequest Next()
    {
        lock (_gate)
        {
            var store = _stores[_random.Next(_stores.Length)];
            if (store.OpenRentals.Count > 0 && _random.NextDouble() < ReturnShare) return Return(store);
            return _random.NextDouble() < SaleShare ? Sale(store) : Rental(store);
        }
    }

    /// <summary>Accepted rentals become returnable; a return that did not close its rental is forgotten.</summary>
    public void Report(BenchRequest request, bool accepted)
    {
        if (request.Kind != TransactionKind.Rental || !accepted) return;
        lock (_gate)
        {
            var store = Array.Find(_stores, s => s.StoreId == request.StoreId)!;
            if (store.OpenRentals.Count < 50_000) store.OpenRentals.Add((request.TransactionId, request.CustomerId!.Value));
        }
    }

    private BenchRequest Sale(Store store)
    {
        var count = _random.NextDouble() switch { < 0.62 => 1, < 0.89 => 2, _ => 3 };
        var lines = PickLines(store.SaleShelf, count, maxQuantity: 3);
        int? customer = _random.NextDouble() < 0.55 ? _customers[_random.Next(_customers.Length)] : null;
        var payment = Payment();
        var id = NewId();
        var employee = Clerk(store);
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("transactionId", id);
        w.WriteNumber("employeeId", employee);
        if (customer is { } c) w.WriteNumber("customerId", c);
        WriteLines(w, lines);
        WritePayment(w, payment);
        w.WriteEndObject();
        return Make(TransactionKind.Sale, store, id, employee, customer, lines, 0, null, payment, "sales");
    }

    private BenchRequest Rental(Store store)
    {
        var lines = PickLines(store.RentalShelf, _random.NextDouble() < 0.8 ? 1 : 2, maxQuantity: 1);
        var customer = _customers[_random.Next(_customers.Length)];
        var days = _random.Next(1, 15);
        var payment = Payment();
        var id = NewId();
        var employee = Clerk(store);
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("transactionId", id);
        w.WriteNumber("employeeId", employee);
        w.WriteNumber("customerId", customer);
        WriteLines(w, lines);
        w.WriteNumber("days", days);
        WritePayment(w, payment);
        w.WriteEndObject();
        return Make(TransactionKind.Rental, store, id, employee, customer, lines, days, null, payment, "rentals");
    }

    private BenchRequest Return(Store store)
    {
        var index = _random.Next(store.OpenRentals.Count);
        var (rentalId, customer) = store.OpenRentals[index];
        store.OpenRentals[index] = store.OpenRentals[^1];
        store.OpenRentals.RemoveAt(store.OpenRentals.Count - 1);
        var id = NewId();
        var employee = Clerk(store);
        var w = Begin();
        w.WriteStartObject();
        w.WriteString("transactionId", id);
        w.WriteNumber("employeeId", employee);
        w.WriteString("rentalId", rentalId);
        w.WriteEndObject();
        return Make(TransactionKind.Return, store, id, employee, customer, [], 0, rentalId, null, "returns");
    }

    private BenchRequest Make(TransactionKind kind, Store store, Guid id, int employee, int? customer, ImmutableArray<LineRequest> lines, int days,
        Guid? rentalId, PaymentRequest? payment, string collection)
    {
        _writer.Flush();
        return new BenchRequest(kind, store.StoreId, id, employee, customer, lines, days, rentalId, payment,
            $"/api/v1/stores/{store.StoreId}/{collection}", store.ApiKey, _buffer.WrittenSpan.ToArray());
    }

    private ImmutableArray<LineRequest> PickLines(int[] shelf, int count, int maxQuantity)
    {
        var builder = ImmutableArray.CreateBuilder<LineRequest>(count);
        while (builder.Count < count)
        {
            var item = shelf[_random.Next(shelf.Length)];
            if (builder.Any(l => l.ItemId == item)) continue;
            builder.Add(new LineRequest(item, _random.NextDouble() < 0.85 ? 1 : _random.Next(1, maxQuantity + 1)));
        }
        return builder.MoveToImmutable();
    }

    private PaymentRequest Payment()
    {
        var method = Methods[_random.Next(Methods.Length)];
        return new PaymentRequest(method, method == PaymentMethod.CreditCard && _random.NextDouble() < 0.35 ? _random.Next(2, 11) : null);
    }

    private int Clerk(Store store) => store.Clerks[_random.Next(store.Clerks.Length)];

    private Guid NewId()
    {
        Span<byte> bytes = stackalloc byte[16];
        _random.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40);
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80);
        return new Guid(bytes);
    }

    private Utf8JsonWriter Begin()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        return _writer;
    }

    private static void WriteLines(Utf8JsonWriter w, ImmutableArray<LineRequest> lines)
    {
        w.WriteStartArray("lines");
        foreach (var line in lines)
        {
            w.WriteStartObject();
            w.WriteNumber("itemId", line.ItemId);
            w.WriteNumber("quantity", line.Quantity);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static void WritePayment(Utf8JsonWriter w, PaymentRequest payment)
    {
        w.WriteStartObject("payment");
        w.WriteString("method", WireNames.Of(payment.Method));
        if (payment.Installments is { } n) w.WriteNumber("installments", n);
        w.WriteEndObject();
    }

    private sealed record Store(int StoreId, string ApiKey, int[] Clerks, int[] SaleShelf, int[] RentalShelf)
    {
        public List<(Guid RentalId, int CustomerId)> OpenRentals { get; } = [];
    }
}
