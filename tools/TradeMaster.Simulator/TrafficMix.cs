using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Bogus;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;

namespace TradeMaster.Simulation;

public sealed record TrafficMixOptions
{
    /// <summary>Seed number of the master data (the one the server seeded) and of the mix's own randomness.</summary>
    public int Seed { get; init; } = new SeedOptions().Seed;

    /// <summary>Share of deliberately bad traffic: half bad API calls, half bad CloudEvents for the sink.</summary>
    public double MalformedShare { get; init; } = 0.03;

    /// <summary>
    /// Mixed into the transaction ids only: the same seed and run id give the same requests byte for byte, while a new
    /// run id (the default) gives fresh ids, so a second run against the same server is not a replay of the first.
    /// </summary>
    public Guid RunId { get; init; } = Guid.NewGuid();

    public TimeProvider Time { get; init; } = TimeProvider.System;
}

/// <summary>
/// The realistic request mix of the chain's tills: clerks of each store sell and rent what their shelves hold to
/// customers they identify by CPF, take back rentals opened earlier at the same store, and take the payment of late
/// fees those returns left owed; a small share is deliberately malformed. Thread-safe; the sequence is deterministic for a seed, a run id and the same order of
/// <see cref="Report"/> calls. Bodies are written with one reused <see cref="Utf8JsonWriter"/>, so each request
/// costs its strings and little else; the benchmark drives it as is, over HTTP and, through each request's
/// <see cref="SimulatedRequest.Command"/>, into the store grains in-process.
/// </summary>
public sealed class TrafficMix : IDisposable
{
    /// <summary>Share of the non-malformed traffic of a store with open rentals that is a return.</summary>
    private const double ReturnShare = 0.22;
    /// <summary>Of the sales and rentals, the share of sales.</summary>
    private const double SaleShare = 0.62;
    /// <summary>A till still logged in as a clerk who has left: rare, and refused by the ledger (employee_inactive).</summary>
    private const double FormerClerkShare = 0.004;
    /// <summary>
    /// Share of the non-malformed traffic of a store with late fees owed to it that is a customer coming back about one.
    /// A store sees a few percent of its traffic leave a fee owed, so this is enough for a fee to wait only a handful
    /// of that store's requests, and for few to wait at once.
    /// </summary>
    private const double LateFeePaymentShare = 0.15;
    /// <summary>
    /// The share of customers who never pay a late fee: one of them walks away from the first fee they owe. Who they
    /// are is a trait of the customer, drawn once per seed, not a draw per fee: with a draw per fee, the regulars, who
    /// rent most and so owe most, one by one walked away from some fee, and the refused rentals grew through every run.
    /// </summary>
    private const double NonPayerShare = 0.1;
    /// <summary>
    /// Draws of another customer for a rental when the one drawn walked away from a late fee: such a customer knows the
    /// chain refuses them rentals until they pay, and no longer comes to rent (they still buy). When every draw is one
    /// of them, the last still tries and is refused (customer_blocked_unpaid_fees).
    /// </summary>
    private const int RenterDraws = 8;

    private static readonly PaymentMethod[] PaymentMethods = [PaymentMethod.Pix, PaymentMethod.CreditCard, PaymentMethod.DebitCard, PaymentMethod.Cash];
    private static readonly float[] PaymentWeights = [0.40f, 0.30f, 0.19f, 0.11f];
    private static readonly int[] RentalDays = [1, 2, 3, 4, 5, 7, 10, 14];
    private const double BackdatedRentalShare = 0.25;
    private static readonly float[] RentalDayWeights = [0.14f, 0.22f, 0.20f, 0.08f, 0.08f, 0.16f, 0.06f, 0.06f];
    private static readonly int[] SaleLineCounts = [1, 2, 3];
    private static readonly float[] SaleLineWeights = [0.62f, 0.27f, 0.11f];

    private readonly Lock _gate = new();
    private readonly Faker _faker;
    private readonly Random _ids;
    private readonly Random _malformedDraws;
    private readonly TimeProvider _time;
    private readonly double _malformedShare;
    private readonly SeedCatalog _catalog;
    private readonly float[] _storeWeights;
    private readonly StoreProfile[] _stores;
    private readonly int[] _storeIndexes;
    private readonly Dictionary<int, int> _storeIndexById;
    private readonly List<OpenRental>[] _openRentals;
    private readonly Dictionary<Guid, OpenRental> _returning = [];
    private readonly List<OwedLateFee>[] _owedFees;
    private readonly Dictionary<Guid, OwedLateFee> _paying = [];
    private readonly HashSet<int> _walkedAway = [];
    private readonly HashSet<int> _nonPayers;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private readonly Utf8JsonWriter _writer;
    private readonly MalformedTraffic _malformed;
    private long _sequence;

    public TrafficMix(SeedData seedData, TrafficMixOptions? options = null)
    {
        options ??= new TrafficMixOptions();
        if (options.MalformedShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(options), "MalformedShare is a share from 0 to 1.");
        _faker = new Faker("pt_BR") { Random = new Randomizer(options.Seed) };
        _ids = new Random(IdSeed(options.Seed, options.RunId));
        _malformedDraws = new Random(unchecked(options.Seed * 31 + 0x6D616C66));
        _time = options.Time;
        _malformedShare = options.MalformedShare;
        _catalog = new SeedCatalog(seedData, _faker.Random);
        _stores = [.. _catalog.Stores];
        _storeIndexes = [.. Enumerable.Range(0, _stores.Length)];
        _storeIndexById = _stores.Select((store, i) => (store.StoreId, i)).ToDictionary(p => p.StoreId, p => p.i);
        // The first stores (the big capitals) are the busiest.
        // Bogus's WeightedRandom wants weights that add up to 1.
        var weights = _stores.Select((_, i) => 1.0 / Math.Pow(i + 1, 0.6)).ToArray();
        _storeWeights = [.. weights.Select(w => (float)(w / weights.Sum()))];
        _openRentals = [.. _stores.Select(_ => new List<OpenRental>())];
        _owedFees = [.. _stores.Select(_ => new List<OwedLateFee>())];
        // From a stream of their own, so that who never pays depends on the seed alone.
        var traits = new Random(unchecked(options.Seed * 31 + 0x6E6F7061));
        _nonPayers = [.. _catalog.Data.Customers.Where(_ => traits.NextDouble() < NonPayerShare).Select(c => c.CustomerId)];
        _writer = new Utf8JsonWriter(_buffer);
        _malformed = new MalformedTraffic(this);
    }

    /// <summary>The mix over the master data of <paramref name="seed"/>, regenerated exactly as the server seeded it.</summary>
    public static TrafficMix ForSeed(int seed, double malformedShare = 0.03, Guid? runId = null, TimeProvider? time = null) =>
        new(SeedDataGenerator.Generate(new SeedOptions { Seed = seed }), new TrafficMixOptions
        {
            Seed = seed,
            MalformedShare = malformedShare,
            RunId = runId ?? Guid.NewGuid(),
            Time = time ?? TimeProvider.System,
        });

    public SeedData SeedData => _catalog.Data;

    /// <summary>Rentals this mix saw accepted and has not sent back yet, all stores together.</summary>
    public int OpenRentals
    {
        get
        {
            lock (_gate) return _openRentals.Sum(l => l.Count) + _returning.Count;
        }
    }

    /// <summary>Late fees this mix saw returns leave owed and has neither paid yet nor given up on, all stores together.</summary>
    public int OwedLateFees
    {
        get
        {
            lock (_gate) return _owedFees.Sum(l => l.Count) + _paying.Count;
        }
    }

    /// <summary>Customers who walked away from a late fee and never pay it: they no longer rent (see <see cref="RenterDraws"/>).</summary>
    public int CustomersWhoWalkedAway
    {
        get
        {
            lock (_gate) return _walkedAway.Count;
        }
    }

    internal bool HasWalkedAway(int customerId)
    {
        lock (_gate) return _walkedAway.Contains(customerId);
    }

    public void Dispose() => _writer.Dispose();

    /// <summary>The next request of the chain's tills.</summary>
    public SimulatedRequest Next()
    {
        lock (_gate)
        {
            var sequence = _sequence++;
            var random = _faker.Random;
            if (_malformedShare > 0)
            {
                // From a stream of their own, two draws a request: which requests are malformed, and which of those
                // are events, depends on the seed and the sequence alone, not on the answers the mix has seen (they
                // decide the returns), so a run of N requests always carries the same malformed ones.
                var malformed = _malformedDraws.NextDouble() < _malformedShare;
                var asRequest = _malformedDraws.Next(2) == 0;
                if (malformed)
                {
                    var anyStore = PickStore();
                    return asRequest ? _malformed.Request(sequence, anyStore) : _malformed.Event(sequence, anyStore);
                }
            }
            var storeIndex = random.WeightedRandom(_storeIndexes, _storeWeights);
            var store = _stores[storeIndex];
            var owed = _owedFees[storeIndex];
            if (owed.Count > 0 && random.Double() < LateFeePaymentShare)
            {
                // The customer who left the fee owed comes back and pays, unless they are one who never pays: they walk
                // away (the fee stays owed and would refuse their rentals, so they stop renting). One who already tried
                // once pays.
                var fee = TakeSkewed(owed);
                if (fee.Attempts > 0 || !_nonPayers.Contains(fee.CustomerId)) return LateFeePayment(sequence, store, fee);
                _walkedAway.Add(fee.CustomerId);
            }
            if (_openRentals[storeIndex].Count > 0 && random.Double() < ReturnShare) return Return(sequence, store, _openRentals[storeIndex]);
            return random.Double() < SaleShare ? Sale(sequence, store) : Rental(sequence, store);
        }
    }

    /// <summary>
    /// Tells the mix how a request ended, so that returns close rentals that really opened and late fee payments pay
    /// fees really owed: HTTP status (0 for no answer), for an accepted rental the receipt's <c>occurredAt</c> when
    /// known, and for an accepted return whether it left a late fee owed (the receipt's <c>return.lateFee</c> above 0
    /// with <c>return.feePaid</c> false).
    /// </summary>
    public void Report(SimulatedRequest request, int statusCode, DateTimeOffset? occurredAt = null, bool lateFeeOwed = false)
    {
        ArgumentNullException.ThrowIfNull(request);
        lock (_gate)
        {
            if (!_storeIndexById.TryGetValue(request.StoreId, out var index) || request.RentalId is not { } rentalId) return;
            if (request.Kind == TrafficKind.Rental && statusCode == 201)
            {
                _openRentals[index].Add(new OpenRental(rentalId, request.CustomerId ?? 0, occurredAt ?? _time.GetUtcNow(), 0));
            }
            else if (request.Kind == TrafficKind.Return && _returning.Remove(rentalId, out var rental))
            {
                // Still open at the store unless it was closed (201) or the store does not know it (404); a refused or
                // failed return is tried once more later, as a clerk would.
                if (statusCode == 201)
                {
                    if (lateFeeOwed) _owedFees[index].Add(new OwedLateFee(rentalId, rental.CustomerId, 0));
                }
                else if (statusCode != 404 && rental.Attempts < 1) _openRentals[index].Add(rental with { Attempts = rental.Attempts + 1 });
            }
            else if (request.Kind == TrafficKind.LateFeePayment && _paying.Remove(rentalId, out var fee))
            {
                // Paid (201) or not this store's (404); otherwise, as with a return, tried once more later.
                if (statusCode is not (201 or 404) && fee.Attempts < 1) _owedFees[index].Add(fee with { Attempts = fee.Attempts + 1 });
            }
        }
    }

    /// <summary>
    /// <see cref="Report(SimulatedRequest, int, DateTimeOffset?, bool)"/> from the body of the answer as the gateway
    /// sent it. Only the receipts of accepted rentals and returns are read, and only the fields the mix needs, with a
    /// <see cref="Utf8JsonReader"/> (no document).
    /// </summary>
    public void ReportAnswer(SimulatedRequest request, int statusCode, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (occurredAt, lateFeeOwed) = statusCode == 201 && request.Kind is TrafficKind.Rental or TrafficKind.Return
            ? ReadReceipt(body, request.Kind == TrafficKind.Return)
            : (null, false);
        Report(request, statusCode, occurredAt, lateFeeOwed);
    }

    private SimulatedRequest Sale(long sequence, StoreProfile store)
    {
        var random = _faker.Random;
        var employeeId = PickClerk(store);
        var lineCount = random.WeightedRandom(SaleLineCounts, SaleLineWeights);
        Span<int> items = stackalloc int[3];
        var lines = PickDistinct(store.SaleShelf, lineCount, items);
        var customer = random.Double() < 0.55 ? PickCustomer() : null;
        var transactionId = NewTransactionId();

        var w = BeginJson();
        w.WriteStartObject();
        w.WriteString("transactionId", transactionId);
        w.WriteNumber("employeeId", employeeId);
        if (customer is not null) w.WriteNumber("customerId", customer.CustomerId);
        var commandLines = ImmutableArray.CreateBuilder<LineRequest>(lines);
        w.WriteStartArray("lines");
        for (var i = 0; i < lines; i++)
        {
            var line = new LineRequest(items[i], random.Double() < 0.85 ? 1 : random.Number(2, 5));
            WriteLine(w, line);
            commandLines.Add(line);
        }
        w.WriteEndArray();
        var payment = WritePayment(w);
        w.WriteEndObject();

        return new SimulatedRequest
        {
            Sequence = sequence,
            Kind = TrafficKind.Sale,
            Method = HttpMethod.Post,
            Path = StorePath(store.StoreId, "sales"),
            ApiKey = store.ClerkApiKey,
            BodyJson = EndJson(),
            StoreId = store.StoreId,
            TransactionId = transactionId,
            EmployeeId = employeeId,
            CustomerId = customer?.CustomerId,
            CustomerCpf = customer is null ? null : TypedCpf(customer),
            Command = new SaleCommand(transactionId, employeeId, customer?.CustomerId, commandLines.MoveToImmutable(), payment),
        };
    }

    private SimulatedRequest Rental(long sequence, StoreProfile store)
    {
        var random = _faker.Random;
        var employeeId = PickClerk(store);
        Span<int> items = stackalloc int[2];
        var lines = PickDistinct(store.RentalShelf, random.Double() < 0.8 ? 1 : 2, items);
        var customer = PickRenter();
        var transactionId = NewTransactionId();

        var w = BeginJson();
        w.WriteStartObject();
        w.WriteString("transactionId", transactionId);
        w.WriteNumber("employeeId", employeeId);
        w.WriteNumber("customerId", customer.CustomerId);
        var commandLines = ImmutableArray.CreateBuilder<LineRequest>(lines);
        w.WriteStartArray("lines");
        for (var i = 0; i < lines; i++)
        {
            var line = new LineRequest(items[i], random.Double() < 0.95 ? 1 : 2);
            WriteLine(w, line);
            commandLines.Add(line);
        }
        w.WriteEndArray();
        var days = random.WeightedRandom(RentalDays, RentalDayWeights);
        w.WriteNumber("days", days);
        var payment = WritePayment(w);
        DateTimeOffset? startedAt = null;
        if (random.Double() < BackdatedRentalShare)
        {
            // Taken on paper while the till was offline and keyed in now: such rentals are what come back late
            // (and leave unpaid fees that block the customer's next rental) within a run of minutes.
            startedAt = TimeZoneInfo.ConvertTime(_time.GetUtcNow() - TimeSpan.FromHours(random.Number(24, 20 * 24)), store.TimeZone);
            w.WriteString("startedAt", startedAt.Value.ToString("O", CultureInfo.InvariantCulture));
        }
        w.WriteEndObject();

        return new SimulatedRequest
        {
            Sequence = sequence,
            Kind = TrafficKind.Rental,
            Method = HttpMethod.Post,
            Path = StorePath(store.StoreId, "rentals"),
            ApiKey = store.ClerkApiKey,
            BodyJson = EndJson(),
            StoreId = store.StoreId,
            TransactionId = transactionId,
            EmployeeId = employeeId,
            CustomerId = customer.CustomerId,
            CustomerCpf = TypedCpf(customer),
            RentalId = transactionId,
            Command = new RentalCommand(transactionId, employeeId, customer.CustomerId, commandLines.MoveToImmutable(), days, payment, startedAt),
        };
    }

    private SimulatedRequest Return(long sequence, StoreProfile store, List<OpenRental> open)
    {
        var random = _faker.Random;
        // Older rentals tend to come back first.
        var index = Skewed(open.Count, 1.6);
        var rental = open[index];
        open.RemoveAt(index);
        _returning[rental.RentalId] = rental;

        var employeeId = PickClerk(store);
        var transactionId = NewTransactionId();
        var w = BeginJson();
        w.WriteStartObject();
        w.WriteString("transactionId", transactionId);
        w.WriteNumber("employeeId", employeeId);
        w.WriteString("rentalId", rental.RentalId);
        DateTimeOffset? returnedAt = null;
        if (random.Double() < 0.2)
        {
            // Dropped in the return box a while ago and checked in now: between the start and now, in store time.
            var now = _time.GetUtcNow();
            var span = now > rental.OpenedAt ? now - rental.OpenedAt : TimeSpan.Zero;
            returnedAt = TimeZoneInfo.ConvertTime(rental.OpenedAt + span * random.Double(), store.TimeZone);
            w.WriteString("returnedAt", returnedAt.Value.ToString("O", CultureInfo.InvariantCulture));
        }
        PaymentRequest? payment = null;
        if (random.Double() < 0.3)
        {
            // Ready to settle a late fee on the spot; the ledger charges only if there is one.
            payment = new PaymentRequest(random.WeightedRandom(PaymentMethods, PaymentWeights), null);
            w.WriteStartObject("payment");
            w.WriteString("method", WireNames.Of(payment.Method));
            w.WriteEndObject();
        }
        w.WriteEndObject();

        return new SimulatedRequest
        {
            Sequence = sequence,
            Kind = TrafficKind.Return,
            Method = HttpMethod.Post,
            Path = StorePath(store.StoreId, "returns"),
            ApiKey = store.ClerkApiKey,
            BodyJson = EndJson(),
            StoreId = store.StoreId,
            TransactionId = transactionId,
            EmployeeId = employeeId,
            CustomerId = rental.CustomerId,
            RentalId = rental.RentalId,
            Command = new ReturnCommand(transactionId, employeeId, rental.RentalId, returnedAt, payment),
        };
    }

    private SimulatedRequest LateFeePayment(long sequence, StoreProfile store, OwedLateFee fee)
    {
        _paying[fee.RentalId] = fee;
        var employeeId = PickClerk(store);
        var transactionId = NewTransactionId();
        var w = BeginJson();
        w.WriteStartObject();
        w.WriteString("transactionId", transactionId);
        w.WriteNumber("employeeId", employeeId);
        w.WriteString("rentalId", fee.RentalId);
        var payment = WritePayment(w);
        w.WriteEndObject();

        return new SimulatedRequest
        {
            Sequence = sequence,
            Kind = TrafficKind.LateFeePayment,
            Method = HttpMethod.Post,
            Path = StorePath(store.StoreId, "late-fee-payments"),
            ApiKey = store.ClerkApiKey,
            BodyJson = EndJson(),
            StoreId = store.StoreId,
            TransactionId = transactionId,
            EmployeeId = employeeId,
            CustomerId = fee.CustomerId,
            RentalId = fee.RentalId,
            Command = new LateFeePaymentCommand(transactionId, employeeId, fee.RentalId, payment),
        };
    }

    /// <summary>Older ones more often, as with returns.</summary>
    private OwedLateFee TakeSkewed(List<OwedLateFee> owed)
    {
        var index = Skewed(owed.Count, 1.6);
        var fee = owed[index];
        owed.RemoveAt(index);
        return fee;
    }

    /// <summary>
    /// From a receipt: the top-level <c>occurredAt</c> and, for a return, whether its <c>return</c> left a fee owed;
    /// stops once it has those. Anything unreadable reads as unknown and not owed: the mix never pays a fee it cannot see.
    /// </summary>
    private static (DateTimeOffset? OccurredAt, bool LateFeeOwed) ReadReceipt(ReadOnlySpan<byte> body, bool readReturn)
    {
        DateTimeOffset? occurredAt = null;
        var (lateFee, feePaid) = (0m, (bool?)null);
        try
        {
            var reader = new Utf8JsonReader(body);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return (null, false);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("occurredAt"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && reader.TryGetDateTimeOffset(out var at)) occurredAt = at;
                    if (!readReturn) break;
                }
                else if (reader.ValueTextEquals("return"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.StartObject)
                    {
                        reader.Skip();
                        continue;
                    }
                    while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                    {
                        var field = reader.ValueTextEquals("lateFee"u8) ? 1 : reader.ValueTextEquals("feePaid"u8) ? 2 : 0;
                        reader.Read();
                        if (field == 1 && reader.TokenType == JsonTokenType.Number && reader.TryGetDecimal(out var fee)) lateFee = fee;
                        else if (field == 2 && reader.TokenType is JsonTokenType.True or JsonTokenType.False) feePaid = reader.GetBoolean();
                        else reader.Skip();
                    }
                    break;
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            return (occurredAt, false);
        }
        return (occurredAt, lateFee > 0 && feePaid == false);
    }

    private static void WriteLine(Utf8JsonWriter w, LineRequest line)
    {
        w.WriteStartObject();
        w.WriteNumber("itemId", line.ItemId);
        w.WriteNumber("quantity", line.Quantity);
        w.WriteEndObject();
    }

    /// <summary>Pix and cards dominate; credit cards are sometimes split in 2–10 installments (parcelas).</summary>
    private PaymentRequest WritePayment(Utf8JsonWriter w)
    {
        var random = _faker.Random;
        var method = random.WeightedRandom(PaymentMethods, PaymentWeights);
        int? installments = null;
        if (method == PaymentMethod.CreditCard)
        {
            var roll = random.Double();
            if (roll < 0.35) installments = random.Number(2, 10);
            else if (roll < 0.6) installments = 1;
        }
        w.WriteStartObject("payment");
        w.WriteString("method", WireNames.Of(method));
        if (installments is { } n) w.WriteNumber("installments", n);
        w.WriteEndObject();
        return new PaymentRequest(method, installments);
    }

    internal StoreProfile PickStore() => _faker.Random.WeightedRandom(_stores, _storeWeights);

    internal int PickClerk(StoreProfile store)
    {
        var random = _faker.Random;
        return store.InactiveClerks.Length > 0 && random.Double() < FormerClerkShare
            ? random.ArrayElement(store.InactiveClerks)
            : random.ArrayElement(store.ActiveClerks);
    }

    /// <summary>Regular customers come back often: the most popular few rent enough to reach the rental limit.</summary>
    internal SeedCustomer PickCustomer() => _catalog.CustomersByPopularity[Skewed(_catalog.CustomersByPopularity.Count, 2.5)];

    /// <summary>A customer for a rental: one who walked away from a late fee is drawn again, up to <see cref="RenterDraws"/> times.</summary>
    private SeedCustomer PickRenter()
    {
        var customer = PickCustomer();
        for (var draw = 1; draw < RenterDraws && _walkedAway.Contains(customer.CustomerId); draw++) customer = PickCustomer();
        return customer;
    }

    internal string TypedCpf(SeedCustomer customer) =>
        _faker.Random.Double() < 0.7 ? BrazilianDocuments.FormatCpf(customer.Cpf) : customer.Cpf;

    /// <summary>Distinct items, popular ones (front of the shelf) far more often than the long tail.</summary>
    internal int PickDistinct(int[] shelf, int count, Span<int> picked)
    {
        count = Math.Min(count, Math.Min(shelf.Length, picked.Length));
        var n = 0;
        for (var attempt = 0; n < count && attempt < 50; attempt++)
        {
            var item = shelf[Skewed(shelf.Length, 2.0)];
            if (!picked[..n].Contains(item)) picked[n++] = item;
        }
        return n;
    }

    /// <summary>An index in [0, n) with density falling off towards n (u^exponent).</summary>
    internal int Skewed(int n, double exponent) => Math.Min(n - 1, (int)(n * Math.Pow(_faker.Random.Double(), exponent)));

    internal Faker Faker => _faker;

    internal SeedCatalog Catalog => _catalog;

    internal TimeProvider Time => _time;

    internal Guid NewTransactionId()
    {
        Span<byte> bytes = stackalloc byte[16];
        _ids.NextBytes(bytes);
        bytes[7] = (byte)((bytes[7] & 0x0F) | 0x40); // version 4 (random)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(bytes);
    }

    internal string RandomHex(int bytes)
    {
        Span<byte> buffer = stackalloc byte[bytes];
        _ids.NextBytes(buffer);
        return Convert.ToHexStringLower(buffer);
    }

    internal Utf8JsonWriter BeginJson()
    {
        _buffer.ResetWrittenCount();
        _writer.Reset(_buffer);
        return _writer;
    }

    internal string EndJson()
    {
        _writer.Flush();
        return Encoding.UTF8.GetString(_buffer.WrittenSpan);
    }

    internal static string StorePath(int storeId, string collection) =>
        string.Create(CultureInfo.InvariantCulture, $"/api/v1/stores/{storeId}/{collection}");

    private static int IdSeed(int seed, Guid runId)
    {
        Span<byte> bytes = stackalloc byte[16];
        runId.TryWriteBytes(bytes);
        var mixed = seed;
        for (var i = 0; i < 16; i += 4) mixed = (mixed * 31) ^ BitConverter.ToInt32(bytes[i..(i + 4)]);
        return mixed;
    }

    private sealed record OpenRental(Guid RentalId, int CustomerId, DateTimeOffset OpenedAt, int Attempts);

    private sealed record OwedLateFee(Guid RentalId, int CustomerId, int Attempts);
}
