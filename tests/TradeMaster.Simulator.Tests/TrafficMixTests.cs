using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using TradeMaster.Gateway;
using TradeMaster.Gateway.Problems;
using TradeMaster.Gateway.Requests;

namespace TradeMaster.Simulation.Tests;

public sealed partial class TrafficMixTests
{
    private const int Draws = 3000;

    /// <summary>As the gateway writes its answers: web defaults, enums as their wire names.</summary>
    private static readonly JsonSerializerOptions GatewayJson = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false) },
    };

    [Fact]
    public void Next_SameSeedAndRunId_ProducesIdenticalRequests()
    {
        var clockA = Mixes.Clock();
        var clockB = Mixes.Clock();
        using var a = Mixes.Create(time: clockA);
        using var b = Mixes.Create(time: clockB);

        var first = Mixes.Drive(a, Draws, clockA, lateFeeOwed: Mixes.LeavesLateFeeOwed);
        var second = Mixes.Drive(b, Draws, clockB, lateFeeOwed: Mixes.LeavesLateFeeOwed);

        Assert.Equal(first.Select(Fingerprint), second.Select(Fingerprint));
        // Not trivially equal: the mix really varies, late fee payments included.
        Assert.True(first.Select(r => r.BodyJson).Distinct().Count() > Draws * 9 / 10);
        Assert.Contains(first, r => r.Kind == TrafficKind.LateFeePayment);
    }

    [Fact]
    public void Next_NewRunId_KeepsTheMixWithFreshTransactionIds()
    {
        using var a = Mixes.Create(runId: Guid.NewGuid());
        using var b = Mixes.Create(runId: Guid.NewGuid());

        var first = Mixes.Drive(a, Draws, lateFeeOwed: Mixes.LeavesLateFeeOwed);
        var second = Mixes.Drive(b, Draws, lateFeeOwed: Mixes.LeavesLateFeeOwed);

        Assert.Contains(first, r => r.Kind == TrafficKind.LateFeePayment);
        Assert.Equal(first.Select(r => (r.Kind, r.Path, r.CustomerCpf, r.EmployeeId, r.Defect)),
            second.Select(r => (r.Kind, r.Path, r.CustomerCpf, r.EmployeeId, r.Defect)));
        var firstIds = first.Where(r => r.TransactionId is not null).Select(r => r.TransactionId!.Value).ToHashSet();
        Assert.Equal(first.Count(r => r.TransactionId is not null), firstIds.Count);
        Assert.DoesNotContain(second, r => r.TransactionId is { } id && firstIds.Contains(id));
    }

    [Fact]
    public void Next_AnotherSeed_ProducesAnotherMix()
    {
        using var a = Mixes.Create();
        using var b = Mixes.Create(seed: 7);

        var first = Mixes.Drive(a, 200).Select(r => r.Path + r.CustomerCpf).ToList();
        var second = Mixes.Drive(b, 200).Select(r => r.Path + r.CustomerCpf).ToList();

        Assert.NotEqual(first, second);
    }

    [Fact]
    public void Next_WellFormedBodies_ParseWithTheGatewaysOwnRequestParser()
    {
        using var mix = Mixes.Create(malformedShare: 0);
        var parser = new TransactionRequests(new TransactionLimits());
        var seen = new HashSet<TrafficKind>();

        foreach (var request in Mixes.Drive(mix, Draws, lateFeeOwed: Mixes.LeavesLateFeeOwed))
        {
            using var body = JsonDocument.Parse(request.BodyJson!);
            var errors = new FieldErrors();
            (Guid Id, int Employee, int? Customer)? parsed = request.Kind switch
            {
                TrafficKind.Sale => parser.ParseSale(body.RootElement, null, errors) is { } s ? (s.TransactionId, s.EmployeeId, s.CustomerId) : null,
                TrafficKind.Rental => parser.ParseRental(body.RootElement, null, errors) is { } r ? (r.TransactionId, r.EmployeeId, r.CustomerId) : null,
                TrafficKind.Return => parser.ParseReturn(body.RootElement, null, errors) is { } t ? (t.TransactionId, t.EmployeeId, request.CustomerId) : null,
                TrafficKind.LateFeePayment => parser.ParseLateFeePayment(body.RootElement, null, errors) is { } f ? (f.TransactionId, f.EmployeeId, request.CustomerId) : null,
                _ => throw new InvalidOperationException($"Malformed traffic with a share of 0: {request.Kind}"),
            };
            Assert.True(errors.IsEmpty, $"{request.Kind} {request.BodyJson}: {JsonSerializer.Serialize(errors.ToDictionary())}");
            Assert.Equal((request.TransactionId!.Value, request.EmployeeId!.Value, request.CustomerId), parsed);
            Assert.Equal(SimulatedRequest.JsonContentType, request.ContentType);
            Assert.Equal(HttpMethod.Post, request.Method);
            seen.Add(request.Kind);
        }

        Assert.Equal([TrafficKind.Sale, TrafficKind.Rental, TrafficKind.Return, TrafficKind.LateFeePayment], seen.Order());
    }

    [Fact]
    public void Next_WellFormedRequests_CarryTheCommandTheGatewayParsesFromTheBody()
    {
        using var mix = Mixes.Create(malformedShare: 0);
        var parser = new TransactionRequests(new TransactionLimits());
        var (backdated, returnedAt, returnPayments, feePayments) = (0, 0, 0, 0);

        foreach (var request in Mixes.Drive(mix, Draws, lateFeeOwed: Mixes.LeavesLateFeeOwed))
        {
            using var body = JsonDocument.Parse(request.BodyJson!);
            var errors = new FieldErrors();
            switch (request.Command)
            {
                case SaleCommand sale:
                    Assert.Equal(TrafficKind.Sale, request.Kind);
                    var parsedSale = parser.ParseSale(body.RootElement, null, errors)!;
                    Assert.Equal(parsedSale.Lines.ToArray(), sale.Lines.ToArray());
                    Assert.Equal(parsedSale with { Lines = default }, sale with { Lines = default });
                    break;
                case RentalCommand rental:
                    Assert.Equal(TrafficKind.Rental, request.Kind);
                    var parsedRental = parser.ParseRental(body.RootElement, null, errors)!;
                    Assert.Equal(parsedRental.Lines.ToArray(), rental.Lines.ToArray());
                    Assert.Equal(parsedRental with { Lines = default }, rental with { Lines = default });
                    Assert.Equal(parsedRental.StartedAt?.Offset, rental.StartedAt?.Offset);
                    if (rental.StartedAt is not null) backdated++;
                    break;
                case ReturnCommand @return:
                    Assert.Equal(TrafficKind.Return, request.Kind);
                    var parsedReturn = parser.ParseReturn(body.RootElement, null, errors)!;
                    Assert.Equal(parsedReturn, @return);
                    Assert.Equal(parsedReturn.ReturnedAt?.Offset, @return.ReturnedAt?.Offset);
                    if (@return.ReturnedAt is not null) returnedAt++;
                    if (@return.Payment is not null) returnPayments++;
                    break;
                case LateFeePaymentCommand payment:
                    Assert.Equal(TrafficKind.LateFeePayment, request.Kind);
                    Assert.Equal(parser.ParseLateFeePayment(body.RootElement, null, errors), payment);
                    Assert.Equal((request.TransactionId, request.EmployeeId, request.RentalId), (payment.TransactionId, payment.EmployeeId, payment.RentalId));
                    feePayments++;
                    break;
                default:
                    Assert.Fail($"{request.Kind} without a ledger command: {request.Command}");
                    break;
            }
            Assert.True(errors.IsEmpty, $"{request.Kind} {request.BodyJson}: {JsonSerializer.Serialize(errors.ToDictionary())}");
        }

        // The optional fields are covered, not just absent every time.
        Assert.True(backdated > 0 && returnedAt > 0 && returnPayments > 0 && feePayments > 0,
            $"{backdated} backdated, {returnedAt} returnedAt, {returnPayments} paid returns, {feePayments} late fee payments");
    }

    [Fact]
    public void Next_MalformedTraffic_CarriesNoLedgerCommand()
    {
        using var mix = Mixes.Create(malformedShare: 1);

        Assert.All(Mixes.Drive(mix, 200), r => Assert.Null(r.Command));
    }

    [Fact]
    public void Next_WellFormedBodies_UseTheDocumentedCamelCaseFieldsAndSnakeCaseEnums()
    {
        using var mix = Mixes.Create(malformedShare: 0);
        var documented = new Dictionary<TrafficKind, HashSet<string>>
        {
            [TrafficKind.Sale] = PropertiesOf(typeof(SaleBody)),
            [TrafficKind.Rental] = PropertiesOf(typeof(RentalBody)),
            [TrafficKind.Return] = PropertiesOf(typeof(ReturnBody)),
            [TrafficKind.LateFeePayment] = PropertiesOf(typeof(LateFeePaymentBody)),
        };
        var line = PropertiesOf(typeof(LineBody));
        var payment = PropertiesOf(typeof(PaymentBody));
        var methods = new HashSet<string>();
        var installments = new HashSet<int>();

        foreach (var request in Mixes.Drive(mix, Draws, lateFeeOwed: Mixes.LeavesLateFeeOwed))
        {
            using var body = JsonDocument.Parse(request.BodyJson!);
            foreach (var property in body.RootElement.EnumerateObject())
            {
                Assert.Contains(property.Name, documented[request.Kind]);
                Assert.Matches(CamelCase(), property.Name);
            }
            if (body.RootElement.TryGetProperty("lines", out var lines))
            {
                foreach (var entry in lines.EnumerateArray())
                {
                    Assert.All(entry.EnumerateObject(), p => Assert.Contains(p.Name, line));
                    Assert.InRange(entry.GetProperty("quantity").GetInt32(), 1, 5);
                }
            }
            if (body.RootElement.TryGetProperty("payment", out var pay))
            {
                Assert.All(pay.EnumerateObject(), p => Assert.Contains(p.Name, payment));
                var method = pay.GetProperty("method").GetString()!;
                Assert.True(WireNames.TryParsePaymentMethod(method, out var parsed), method);
                Assert.Equal(WireNames.Of(parsed), method);
                methods.Add(method);
                if (pay.TryGetProperty("installments", out var count))
                {
                    Assert.Equal("credit_card", method);
                    installments.Add(count.GetInt32());
                }
            }
            if (body.RootElement.TryGetProperty("returnedAt", out var returnedAt))
            {
                Assert.Matches(ExplicitOffset(), returnedAt.GetString()!);
            }
        }

        Assert.Equal(["cash", "credit_card", "debit_card", "pix"], methods.Order());
        Assert.Contains(1, installments);
        Assert.True(installments.Min() >= 1 && installments.Max() <= 10 && installments.Count > 5, string.Join(",", installments));
    }

    [Fact]
    public void Next_PaymentMethods_PixAndCardsDominate()
    {
        using var mix = Mixes.Create(malformedShare: 0);
        var methods = Mixes.Drive(mix, Draws)
            .Where(r => r.Kind != TrafficKind.Return)
            .Select(r => JsonDocument.Parse(r.BodyJson!).RootElement.GetProperty("payment").GetProperty("method").GetString()!)
            .CountBy(m => m)
            .ToDictionary();
        var total = methods.Values.Sum();

        Assert.True(methods["pix"] > methods["cash"] * 2, JsonSerializer.Serialize(methods));
        Assert.True(methods["credit_card"] > methods["cash"], JsonSerializer.Serialize(methods));
        Assert.InRange((methods["pix"] + methods["credit_card"] + methods["debit_card"]) / (double)total, 0.8, 0.95);
    }

    [Fact]
    public void Next_CustomerCpfs_ExistInTheSeedDataInBothTypedForms()
    {
        using var mix = Mixes.Create(malformedShare: 0);
        var customers = Mixes.Seed.Customers.ToDictionary(c => c.CustomerId);
        var formatted = 0;
        var digits = 0;

        foreach (var request in Mixes.Drive(mix, Draws).Where(r => r.Kind != TrafficKind.Return))
        {
            if (request.Kind == TrafficKind.Rental) Assert.NotNull(request.CustomerCpf);
            if (request.CustomerCpf is not { } cpf)
            {
                Assert.Null(request.CustomerId);
                continue;
            }
            Assert.True(BrazilianDocuments.IsValidCpf(cpf), cpf);
            Assert.Equal(customers[request.CustomerId!.Value].Cpf, BrazilianDocuments.OnlyDigits(cpf));
            Assert.Equal("/api/v1/customers?cpf=" + Uri.EscapeDataString(cpf), request.CustomerLookupPath);
            if (cpf.Length == 14) formatted++;
            else digits++;
        }

        Assert.True(formatted > digits && digits > 0, $"{formatted} formatted, {digits} digits only");
        // Anonymous sales exist too.
        Assert.Contains(Mixes.Drive(Mixes.Create(malformedShare: 0), 200), r => r.Kind == TrafficKind.Sale && r.CustomerCpf is null);
    }

    [Fact]
    public void Next_Transactions_UseTheStoresOwnClerkKeyClerksAndShelves()
    {
        using var mix = Mixes.Create(malformedShare: 0);
        var seed = Mixes.Seed;
        var employees = seed.Employees.ToDictionary(e => e.EmployeeId);
        var stock = seed.Stock.ToDictionary(s => (s.StoreId, s.ItemId));
        var items = seed.Items.ToDictionary(i => i.ItemId);
        var formerClerks = 0;
        var (lines, discontinued) = (0, 0);
        var requests = Mixes.Drive(mix, Draws, lateFeeOwed: Mixes.LeavesLateFeeOwed);

        foreach (var request in requests)
        {
            Assert.StartsWith($"/api/v1/stores/{request.StoreId}/", request.Path, StringComparison.Ordinal);
            Assert.Equal(SeedDataGenerator.DevApiKey(request.StoreId, EmployeeRole.Clerk), request.ApiKey);
            var employee = employees[request.EmployeeId!.Value];
            Assert.Equal((request.StoreId, EmployeeRole.Clerk), (employee.StoreId, employee.Role));
            if (!employee.Active) formerClerks++;
            if (request.Kind is TrafficKind.Return or TrafficKind.LateFeePayment) continue;
            foreach (var line in JsonDocument.Parse(request.BodyJson!).RootElement.GetProperty("lines").EnumerateArray())
            {
                var shelf = stock[(request.StoreId, line.GetProperty("itemId").GetInt32())];
                Assert.True(request.Kind == TrafficKind.Sale ? shelf.CopiesForSale > 0 : shelf.RentalCopiesOwned > 0);
                lines++;
                if (!items[shelf.ItemId].Active) discontinued++;
            }
        }

        Assert.Equal(seed.Stores.Select(s => s.StoreId).Order(), requests.Select(r => r.StoreId).Distinct().Order());
        Assert.Contains(requests, r => r.Kind == TrafficKind.LateFeePayment);
        Assert.InRange(formerClerks, 0, Draws / 100);
        // Discontinued titles are still scanned now and then (the ledger refuses them), but they are at the back of the shelf.
        Assert.InRange(discontinued / (double)lines, 0.0005, 0.02);
    }

    [Fact]
    public void Next_Returns_CloseOnlyRentalsAcceptedEarlierAtTheRentingStore()
    {
        var clock = Mixes.Clock();
        using var mix = Mixes.Create(malformedShare: 0, time: clock);
        var rentals = new Dictionary<Guid, SimulatedRequest>();
        var closed = new HashSet<Guid>();
        var returns = 0;

        // Every other rental is refused: those must never come back.
        var requests = Mixes.Drive(mix, Draws, clock, r => r.Kind == TrafficKind.Rental && r.Sequence % 2 == 1 ? 422 : 201);
        foreach (var request in requests)
        {
            if (request.Kind == TrafficKind.Rental && request.Sequence % 2 == 0) rentals[request.TransactionId!.Value] = request;
            if (request.Kind != TrafficKind.Return) continue;
            returns++;
            var rental = rentals[request.RentalId!.Value];
            Assert.True(rental.Sequence < request.Sequence);
            Assert.Equal(rental.StoreId, request.StoreId);
            Assert.Equal(rental.CustomerId, request.CustomerId);
            Assert.True(closed.Add(request.RentalId.Value), "a rental returned twice");
            var body = JsonDocument.Parse(request.BodyJson!).RootElement;
            Assert.Equal(request.RentalId.Value, body.GetProperty("rentalId").GetGuid());
            if (body.TryGetProperty("returnedAt", out var at))
            {
                var returnedAt = DateTimeOffset.Parse(at.GetString()!, CultureInfo.InvariantCulture);
                var opened = clock.Start + TimeSpan.FromSeconds(rental.Sequence + 1);
                Assert.InRange(returnedAt, opened, clock.GetUtcNow());
            }
        }

        Assert.True(returns > Draws / 10, $"{returns} returns");
        Assert.Equal(rentals.Count - closed.Count, mix.OpenRentals);
    }

    [Fact]
    public void Report_RefusedReturn_IsTriedOnceMoreLater()
    {
        var clock = Mixes.Clock();
        using var mix = Mixes.Create(malformedShare: 0, time: clock);
        var attempts = new Dictionary<Guid, int>();

        foreach (var request in Mixes.Drive(mix, Draws, clock, r => r.Kind == TrafficKind.Return ? 503 : 201))
        {
            if (request.Kind == TrafficKind.Return) attempts[request.RentalId!.Value] = attempts.GetValueOrDefault(request.RentalId.Value) + 1;
        }

        Assert.Contains(2, attempts.Values);
        Assert.All(attempts.Values, n => Assert.InRange(n, 1, 2));
    }

    [Fact]
    public void Next_AfterAReturnLeftALateFeeOwed_PaysThatFeeOnceAtThatStore()
    {
        var clock = Mixes.Clock();
        using var mix = Mixes.Create(malformedShare: 0, time: clock);
        var parser = new TransactionRequests(new TransactionLimits());
        var employees = Mixes.Seed.Employees.ToDictionary(e => e.EmployeeId);
        var owed = new Dictionary<Guid, SimulatedRequest>();
        var notOwed = new HashSet<Guid>();
        var paid = new HashSet<Guid>();

        foreach (var request in Mixes.Drive(mix, 3 * Draws, clock, lateFeeOwed: Mixes.LeavesLateFeeOwed))
        {
            if (request.Kind == TrafficKind.Return)
            {
                if (Mixes.LeavesLateFeeOwed(request)) owed.Add(request.RentalId!.Value, request);
                else notOwed.Add(request.RentalId!.Value);
            }
            if (request.Kind != TrafficKind.LateFeePayment) continue;
            var rentalId = request.RentalId!.Value;
            Assert.DoesNotContain(rentalId, notOwed);
            Assert.True(owed.TryGetValue(rentalId, out var @return), $"a payment for rental {rentalId}, whose return left nothing owed");
            Assert.True(@return.Sequence < request.Sequence);
            Assert.Equal(@return.StoreId, request.StoreId);
            Assert.Equal($"/api/v1/stores/{@return.StoreId}/late-fee-payments", request.Path);
            Assert.Equal(SeedDataGenerator.DevApiKey(request.StoreId, EmployeeRole.Clerk), request.ApiKey);
            Assert.Equal(@return.CustomerId, request.CustomerId);
            var clerk = employees[request.EmployeeId!.Value];
            Assert.Equal((request.StoreId, EmployeeRole.Clerk), (clerk.StoreId, clerk.Role));
            using var body = JsonDocument.Parse(request.BodyJson!);
            var errors = new FieldErrors();
            var parsed = parser.ParseLateFeePayment(body.RootElement, null, errors);
            Assert.True(errors.IsEmpty, $"{request.BodyJson}: {JsonSerializer.Serialize(errors.ToDictionary())}");
            Assert.Equal(new LateFeePaymentCommand(request.TransactionId!.Value, request.EmployeeId.Value, rentalId, parsed!.Payment), parsed);
            Assert.Equal(request.Command, parsed);
            Assert.True(paid.Add(rentalId), $"the fee of rental {rentalId} paid twice");
        }

        // Most owed fees are paid within the run, a few customers never pay, and few are still waiting at the end.
        var abandoned = owed.Count - paid.Count - mix.OwedLateFees;
        Assert.True(owed.Count > 100 && notOwed.Count > 100, $"{owed.Count} owed, {notOwed.Count} not");
        Assert.InRange(paid.Count / (double)owed.Count, 0.75, 0.95);
        Assert.InRange(abandoned / (double)owed.Count, 0.03, 0.2);
        Assert.InRange(mix.OwedLateFees, 0, owed.Count / 10);
    }

    [Fact]
    public void Next_CustomerWhoWalkedAwayFromALateFee_NoLongerRentsButStillBuys()
    {
        var clock = Mixes.Clock();
        using var mix = Mixes.Create(malformedShare: 0, time: clock);
        int rentals = 0, rentalsByWalkedAway = 0, salesByWalkedAway = 0;
        var payers = new HashSet<int>();
        var owing = new HashSet<int>();

        for (var i = 0; i < 6 * Draws; i++)
        {
            var request = mix.Next();
            clock.Advance(TimeSpan.FromSeconds(1));
            if (request.CustomerId is { } customer && mix.HasWalkedAway(customer))
            {
                if (request.Kind == TrafficKind.Rental) rentalsByWalkedAway++;
                else if (request.Kind == TrafficKind.Sale) salesByWalkedAway++;
            }
            if (request.Kind == TrafficKind.Rental) rentals++;
            if (request.Kind == TrafficKind.LateFeePayment) payers.Add(request.CustomerId!.Value);
            var owes = request.Kind == TrafficKind.Return && Mixes.LeavesLateFeeOwed(request);
            if (owes) owing.Add(request.CustomerId!.Value);
            mix.Report(request, 201, clock.GetUtcNow(), owes);
        }

        // Never paying is the customer's trait (a tenth of them), not a draw per fee: no one both pays and walks away.
        var walkedAway = owing.Where(mix.HasWalkedAway).ToList();
        Assert.Empty(walkedAway.Intersect(payers));
        Assert.InRange(walkedAway.Count / (double)owing.Count, 0.03, 0.2);
        // A rental by one of them only when every one of the draws for it was one of them: rare with a few dozen.
        Assert.InRange(mix.CustomersWhoWalkedAway, 10, 500);
        Assert.InRange(rentalsByWalkedAway, 0, rentals / 100);
        Assert.True(salesByWalkedAway > 0, "the customers who walked away from a fee still buy");
    }

    [Fact]
    public void Next_NoReturnLeftAFeeOwed_SendsNoLateFeePayment()
    {
        using var mix = Mixes.Create(malformedShare: 0);

        var requests = Mixes.Drive(mix, Draws);

        Assert.Contains(requests, r => r.Kind == TrafficKind.Return);
        Assert.DoesNotContain(requests, r => r.Kind == TrafficKind.LateFeePayment);
        Assert.Equal(0, mix.OwedLateFees);
    }

    [Fact]
    public void Report_RefusedLateFeePayment_IsTriedOnceMoreLater()
    {
        var clock = Mixes.Clock();
        using var mix = Mixes.Create(malformedShare: 0, time: clock);
        var attempts = new Dictionary<Guid, int>();

        foreach (var request in Mixes.Drive(mix, 2 * Draws, clock, r => r.Kind == TrafficKind.LateFeePayment ? 422 : 201, Mixes.LeavesLateFeeOwed))
        {
            if (request.Kind == TrafficKind.LateFeePayment) attempts[request.RentalId!.Value] = attempts.GetValueOrDefault(request.RentalId.Value) + 1;
        }

        Assert.Contains(2, attempts.Values);
        Assert.All(attempts.Values, n => Assert.InRange(n, 1, 2));
    }

    [Theory]
    [InlineData(11.80, false, 1)]
    [InlineData(11.80, true, 0)]
    [InlineData(0, false, 0)]
    public void ReportAnswer_ReceiptOfAReturn_OwesTheFeeOnlyWhenLateAndUnpaid(double lateFee, bool feePaid, int owedAfter)
    {
        using var mix = Mixes.Create(malformedShare: 0);
        var @return = NextReturn(mix);

        mix.ReportAnswer(@return, 201, ReturnReceipt(@return, (decimal)lateFee, feePaid));

        Assert.Equal(owedAfter, mix.OwedLateFees);
    }

    [Theory]
    [InlineData(201, "{\"transactionId\":\"x\",\"return\":{\"lateFee\":5.9,\"feePaid\":false")]
    [InlineData(201, "{\"return\":{\"lateFee\":5.9}}")]
    [InlineData(201, "[]")]
    [InlineData(422, "{\"code\":\"rental_already_closed\",\"return\":{\"lateFee\":5.9,\"feePaid\":false}}")]
    public void ReportAnswer_TruncatedIncompleteOrRefusedAnswer_OwesNothing(int status, string body)
    {
        using var mix = Mixes.Create(malformedShare: 0);
        var request = NextReturn(mix);

        mix.ReportAnswer(request, status, Encoding.UTF8.GetBytes(body));

        Assert.Equal(0, mix.OwedLateFees);
    }

    [Fact]
    public void ReportAnswer_ReceiptOfARental_OpensTheRental()
    {
        using var mix = Mixes.Create(malformedShare: 0);
        SimulatedRequest rental;
        do
        {
            rental = mix.Next();
        }
        while (rental.Kind != TrafficKind.Rental);

        mix.ReportAnswer(rental, 201, """{"transactionId":"x","kind":"rental","occurredAt":"2025-03-01T10:00:00-03:00","lines":[]}"""u8);

        Assert.Equal(1, mix.OpenRentals);
    }

    [Fact]
    public void Next_MalformedShare_IsAboutTheConfiguredShareHalfRequestsHalfEvents()
    {
        using var mix = Mixes.Create(malformedShare: 0.03);
        var requests = Mixes.Drive(mix, 20_000);
        var badRequests = requests.Count(r => r.Kind == TrafficKind.MalformedRequest);
        var badEvents = requests.Count(r => r.Kind == TrafficKind.MalformedEvent);

        Assert.InRange((badRequests + badEvents) / 20_000.0, 0.025, 0.035);
        Assert.InRange(badRequests / (double)(badRequests + badEvents), 0.4, 0.6);
        Assert.All(requests.Where(r => r.Kind == TrafficKind.MalformedEvent), r =>
        {
            Assert.Equal(TrafficTarget.Sink, r.Target);
            Assert.Equal(SimulatedRequest.CloudEventsContentType, r.ContentType);
            Assert.Null(r.ApiKey);
        });
    }

    [Fact]
    public void Next_MalformedRequests_AreTheSameWhateverTheAnswers()
    {
        // A run whose rentals are all refused sends no returns, one whose rentals are accepted does: different
        // transactions, the same malformed ones at the same positions (the local simulation's test counts on it).
        static List<(long, TrafficKind)> Malformed(List<SimulatedRequest> requests) =>
            [.. requests.Where(r => r.IsMalformed).Select(r => (r.Sequence, r.Kind))];
        var accepted = Mixes.Drive(Mixes.Create(malformedShare: 0.03, runId: Guid.NewGuid()), 3_000);
        var refused = Mixes.Drive(Mixes.Create(malformedShare: 0.03, runId: Guid.NewGuid()), 3_000,
            status: r => r.IsMalformed ? 400 : r.Kind == TrafficKind.Rental ? 409 : 201);

        Assert.NotEqual(accepted.Count(r => r.Kind == TrafficKind.Return), refused.Count(r => r.Kind == TrafficKind.Return));
        Assert.Equal(Malformed(accepted), Malformed(refused));
        Assert.Contains(Malformed(accepted), m => m.Item2 == TrafficKind.MalformedEvent);
        Assert.Contains(Malformed(accepted), m => m.Item2 == TrafficKind.MalformedRequest);
    }

    [Fact]
    public void Next_NoMalformedShare_SendsOnlyTransactions()
    {
        using var mix = Mixes.Create(malformedShare: 0);

        Assert.DoesNotContain(Mixes.Drive(mix, Draws), r => r.IsMalformed || r.Target != TrafficTarget.Gateway);
    }

    [Fact]
    public async Task Next_FromManyThreads_GivesEverySequenceNumberAndTransactionIdOnce()
    {
        using var mix = Mixes.Create();
        var workers = Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            var mine = new List<SimulatedRequest>();
            for (var i = 0; i < 500; i++)
            {
                var request = mix.Next();
                mix.Report(request, 201);
                mine.Add(request);
            }
            return mine;
        }));

        var all = (await Task.WhenAll(workers)).SelectMany(r => r).ToList();

        Assert.Equal(Enumerable.Range(0, 4000).Select(i => (long)i), all.Select(r => r.Sequence).Order());
        var ids = all.Where(r => r.TransactionId is not null).Select(r => r.TransactionId).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(all.Where(r => r.BodyJson is not null && r.Defect is not ("invalid_json" or "truncated_json")),
            r => JsonDocument.Parse(r.BodyJson!).Dispose());
    }

    /// <summary>Draws until the first return, answering everything before it as accepted (so rentals open).</summary>
    private static SimulatedRequest NextReturn(TrafficMix mix)
    {
        while (true)
        {
            var request = mix.Next();
            if (request.Kind == TrafficKind.Return) return request;
            mix.Report(request, 201);
        }
    }

    /// <summary>The 201 body the gateway answers a return with: the ledger's receipt, serialized with the gateway's JSON options.</summary>
    private static byte[] ReturnReceipt(SimulatedRequest request, decimal lateFee, bool feePaid)
    {
        var now = new DateTimeOffset(2025, 3, 14, 12, 0, 0, TimeSpan.FromHours(-3));
        var returned = new ReturnInfo(request.RentalId!.Value, now.AddDays(-9), DateOnly.FromDateTime(now.AddDays(-2).Date), now,
            lateFee > 0 ? 2 : 0, lateFee, feePaid);
        var receipt = new Receipt(request.TransactionId!.Value, TransactionKind.Return, request.StoreId, request.EmployeeId!.Value, request.CustomerId,
            now, DateOnly.FromDateTime(now.Date), [], feePaid ? lateFee : 0, feePaid ? new PaymentInfo(PaymentMethod.Pix, 1, lateFee) : null, null,
            returned, Guid.NewGuid());
        return JsonSerializer.SerializeToUtf8Bytes(receipt, GatewayJson);
    }

    private static string Fingerprint(SimulatedRequest r) =>
        $"{r.Sequence}|{r.Kind}|{r.Target}|{r.Method}|{r.Path}|{r.ApiKey}|{r.ContentType}|{r.CustomerCpf}|{r.Defect}|{r.BodyJson}";

    private static HashSet<string> PropertiesOf(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name))
            .ToHashSet(StringComparer.Ordinal);

    [GeneratedRegex("^[a-z][A-Za-z]*$")]
    private static partial Regex CamelCase();

    [GeneratedRegex(@"T.*(Z|[+-]\d{2}:\d{2})$")]
    private static partial Regex ExplicitOffset();
}
