using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using TradeMaster.Testing;
using static TradeMaster.Gateway.Tests.Problems;

namespace TradeMaster.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class TransactionTests(GatewayFixture fixture)
{
    private const string Sales = "/api/v1/stores/1/sales";

    private Task<int> ClerkOfStoreAsync(int storeId) =>
        fixture.ScalarAsync("select min(employee_id) from employees where store_id = $1 and active", storeId);

    /// <summary>A rentable item of store 1 with two copies free, the <paramref name="offset"/>-th from the top, so tests renting do not share one.</summary>
    private async Task<int> RentableItemAsync(int offset) => (await fixture.ItemsAsync(
        """
        select s.item_id from stock s join catalog_items i using (item_id)
        where s.store_id = 1 and i.active and i.rentable and s.rental_copies_owned - s.rental_copies_out >= 2
        order by s.item_id desc offset $1 limit 1
        """, offset))[0];

    private Task<decimal> SalePriceAsync(int itemId) => DecimalAsync("select sale_price from catalog_items where item_id = $1", itemId);

    private async Task<decimal> DecimalAsync(string sql, int id)
    {
        await using var command = fixture.Database.CreateCommand(sql);
        command.Parameters.AddWithValue(id);
        return (decimal)(await command.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task CreateSale_ValidSale_Returns201WithCatalogPricesAndTakesStock()
    {
        var (first, second) = (fixture.FreshSellableItem(), fixture.FreshSellableItem());
        var employeeId = await ClerkOfStoreAsync(1);
        using var client = fixture.Client();
        var stockBefore = await JsonAsync(await client.GetAsync($"/api/v1/stores/1/stock/{first}"));

        var response = await client.PostAsync(Sales, Json(
            $$$"""
            {"employeeId":{{{employeeId}}},"lines":[{"itemId":{{{first}}},"quantity":2},{"itemId":{{{second}}},"quantity":1}],
             "payment":{"method":"credit_card","installments":3}}
            """));

        var receipt = await JsonAsync(response, HttpStatusCode.Created);
        var transactionId = receipt.GetProperty("transactionId").GetGuid();
        Assert.Equal($"/api/v1/stores/1/transactions/{transactionId}", response.Headers.Location?.OriginalString);
        Assert.Equal("sale", receipt.GetProperty("kind").GetString());
        Assert.NotEqual(Guid.Empty, receipt.GetProperty("eventId").GetGuid());
        var lines = receipt.GetProperty("lines").EnumerateArray().ToArray();
        Assert.Equal(2, lines.Length);
        Assert.Equal(await SalePriceAsync(first), lines[0].GetProperty("unitPrice").GetDecimal());
        Assert.Equal(await SalePriceAsync(second), lines[1].GetProperty("unitPrice").GetDecimal());
        Assert.Contains(lines[0].GetProperty("mediaType").GetString(), new[] { "book", "movie", "series_dvd" });
        Assert.Equal(lines.Sum(l => l.GetProperty("lineTotal").GetDecimal()), receipt.GetProperty("total").GetDecimal());
        Assert.Equal("credit_card", receipt.GetProperty("payment").GetProperty("method").GetString());
        Assert.Equal(3, receipt.GetProperty("payment").GetProperty("installments").GetInt32());

        var stockAfter = await JsonAsync(await client.GetAsync($"/api/v1/stores/1/stock/{first}"));
        Assert.Equal(stockBefore.GetProperty("copiesForSale").GetInt32() - 2, stockAfter.GetProperty("copiesForSale").GetInt32());
    }

    [Fact]
    public async Task CreateSale_RetriedWithSameId_ReturnsIdenticalStatusAndBodyAndSellsOnce()
    {
        var itemId = fixture.FreshSellableItem();
        var employeeId = await ClerkOfStoreAsync(1);
        using var client = fixture.Client();
        var stockBefore = await JsonAsync(await client.GetAsync($"/api/v1/stores/1/stock/{itemId}"));
        var body = $$$"""{"employeeId":{{{employeeId}}},"lines":[{"itemId":{{{itemId}}},"quantity":1}],"payment":{"method":"pix"}}""";
        var key = Guid.NewGuid().ToString();

        async Task<(HttpStatusCode, string, string?)> PostAsync()
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, Sales) { Content = Json(body) };
            request.Headers.Add("Idempotency-Key", key);
            var response = await client.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
        }

        var first = await PostAsync();
        var retry = await PostAsync();

        Assert.Equal(HttpStatusCode.Created, first.Item1);
        Assert.Equal(first, retry);
        Assert.Equal(key, JsonDocument.Parse(first.Item2).RootElement.GetProperty("transactionId").GetString());
        var stockAfter = await JsonAsync(await client.GetAsync($"/api/v1/stores/1/stock/{itemId}"));
        Assert.Equal(stockBefore.GetProperty("copiesForSale").GetInt32() - 1, stockAfter.GetProperty("copiesForSale").GetInt32());
    }

    [Fact]
    public async Task CreateSale_SameIdDifferentBody_Returns409TransactionIdConflict()
    {
        var itemId = fixture.FreshSellableItem();
        var employeeId = await ClerkOfStoreAsync(1);
        var transactionId = Guid.NewGuid();
        using var client = fixture.Client();
        string Body(int quantity) =>
            $$$"""{"transactionId":"{{{transactionId}}}","employeeId":{{{employeeId}}},"lines":[{"itemId":{{{itemId}}},"quantity":{{{quantity}}}""" + """}],"payment":{"method":"cash"}}""";

        await JsonAsync(await client.PostAsync(Sales, Json(Body(1))), HttpStatusCode.Created);
        var conflict = await AssertProblemAsync(await client.PostAsync(Sales, Json(Body(2))), HttpStatusCode.Conflict, "transaction_id_conflict");

        Assert.Equal(transactionId, conflict.GetProperty("transactionId").GetGuid());
    }

    [Fact]
    public async Task CreateSale_UnknownItem_Returns404ItemUnknown()
    {
        var employeeId = await ClerkOfStoreAsync(1);
        using var client = fixture.Client();
        var response = await client.PostAsync(Sales, Json(
            $$$"""{"employeeId":{{{employeeId}}},"lines":[{"itemId":999999,"quantity":1}],"payment":{"method":"cash"}}"""));
        var problem = await AssertProblemAsync(response, HttpStatusCode.NotFound, "item_unknown");
        Assert.NotEqual(Guid.Empty, problem.GetProperty("transactionId").GetGuid());
    }

    [Fact]
    public async Task CreateSale_MoreThanInStock_Returns422InsufficientStockAndRetryGetsTheSameProblem()
    {
        var itemId = fixture.FreshSellableItem();
        var employeeId = await ClerkOfStoreAsync(1);
        var copies = await fixture.ScalarAsync("select copies_for_sale from stock where store_id = 1 and item_id = $1", itemId);
        using var client = fixture.Client();
        var body = $$$"""{"transactionId":"{{{Guid.NewGuid()}}}","employeeId":{{{employeeId}}},"lines":[{"itemId":{{{itemId}}},"quantity":{{{copies + 1}}}""" + """}],"payment":{"method":"cash"}}""";

        var first = await client.PostAsync(Sales, Json(body));
        var firstText = await first.Content.ReadAsStringAsync();
        var retry = await client.PostAsync(Sales, Json(body));

        var problem = await AssertProblemAsync(first, HttpStatusCode.UnprocessableEntity, "insufficient_stock");
        Assert.Equal(itemId, problem.GetProperty("itemId").GetInt32());
        Assert.Equal(HttpStatusCode.UnprocessableEntity, retry.StatusCode);
        Assert.Equal(firstText, await retry.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task CreateSale_EmployeeOfAnotherStore_Returns422EmployeeNotAtStore()
    {
        var itemId = fixture.FreshSellableItem();
        var employeeOfStore2 = await ClerkOfStoreAsync(2);
        using var client = fixture.Client();
        var response = await client.PostAsync(Sales, Json(
            $$$"""{"employeeId":{{{employeeOfStore2}}},"lines":[{"itemId":{{{itemId}}},"quantity":1}],"payment":{"method":"cash"}}"""));
        await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity, "employee_not_at_store");
    }

    [Fact]
    public async Task CreateRentalThenReturn_OpenRental_Returns201WithDueDateThenLateDays()
    {
        var itemId = await RentableItemAsync(offset: 0);
        var customerId = await fixture.ScalarAsync("select min(customer_id) from customers where active");
        var employeeId = await ClerkOfStoreAsync(1);
        using var client = fixture.Client();

        var rental = await JsonAsync(await client.PostAsync("/api/v1/stores/1/rentals", Json(
            $$$"""
            {"employeeId":{{{employeeId}}},"customerId":{{{customerId}}},"lines":[{"itemId":{{{itemId}}},"quantity":1}],"days":3,
             "payment":{"method":"debit_card"}}
            """)), HttpStatusCode.Created);
        Assert.Equal("rental", rental.GetProperty("kind").GetString());
        var terms = rental.GetProperty("rental");
        var rentalId = terms.GetProperty("rentalId").GetGuid();
        Assert.Equal(3, terms.GetProperty("days").GetInt32());
        Assert.Equal(
            DateOnly.Parse(terms.GetProperty("startDate").GetString()!, System.Globalization.CultureInfo.InvariantCulture).AddDays(3),
            DateOnly.Parse(terms.GetProperty("dueDate").GetString()!, System.Globalization.CultureInfo.InvariantCulture));
        var dailyPrice = await DecimalAsync("select daily_rental_price from catalog_items where item_id = $1", itemId);
        Assert.Equal(dailyPrice * 3, rental.GetProperty("total").GetDecimal());

        var account = await JsonAsync(await client.GetAsync($"/api/v1/customers/{customerId}/rentals"));
        Assert.Contains(account.GetProperty("openRentals").EnumerateArray(), r => r.GetProperty("rentalId").GetGuid() == rentalId);

        var returned = await JsonAsync(await client.PostAsync("/api/v1/stores/1/returns", Json(
            $$$"""{"employeeId":{{{employeeId}}},"rentalId":"{{{rentalId}}}"}""")), HttpStatusCode.Created);
        Assert.Equal("return", returned.GetProperty("kind").GetString());
        Assert.Equal(0, returned.GetProperty("return").GetProperty("lateDays").GetInt32());
        Assert.Equal(0m, returned.GetProperty("return").GetProperty("lateFee").GetDecimal());

        var again = await client.PostAsync("/api/v1/stores/1/returns", Json($$$"""{"employeeId":{{{employeeId}}},"rentalId":"{{{rentalId}}}"}"""));
        await AssertProblemAsync(again, HttpStatusCode.UnprocessableEntity, "rental_already_closed");
    }

    [Fact]
    public async Task CreateSaleRentalAndReturn_Accepted_BodyIsTheReceiptAsTheApisJsonSettingsWriteIt()
    {
        var itemId = await RentableItemAsync(offset: 6);
        var customerId = await fixture.ScalarAsync("select min(customer_id) + 3 from customers where active");
        var employeeId = await ClerkOfStoreAsync(1);
        using var client = fixture.Client();
        // The API's JSON settings (the web defaults, enums as wire names, the framework's relaxed escaping), written by the
        // reflection serializer: a faster writer for the answers must still write exactly these bytes.
        var apiJson = new JsonSerializerOptions(fixture.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions)
        {
            TypeInfoResolver = new System.Text.Json.Serialization.Metadata.DefaultJsonTypeInfoResolver(),
        };

        var sale = await client.PostAsync(Sales, Json(
            $$$"""{"employeeId":{{{employeeId}}},"customerId":{{{customerId}}},"lines":[{"itemId":{{{fixture.FreshSellableItem()}}},"quantity":1}],"payment":{"method":"cash"}}"""));
        await AssertIsReceiptAsync(sale, "sale");
        var rental = await client.PostAsync("/api/v1/stores/1/rentals", Json(
            $$$"""{"employeeId":{{{employeeId}}},"customerId":{{{customerId}}},"lines":[{"itemId":{{{itemId}}},"quantity":1}],"days":2,"payment":{"method":"pix"}}"""));
        var rentalId = (await AssertIsReceiptAsync(rental, "rental")).Rental!.RentalId;
        var returned = await client.PostAsync("/api/v1/stores/1/returns", Json($$$"""{"employeeId":{{{employeeId}}},"rentalId":"{{{rentalId}}}"}"""));
        Assert.NotNull((await AssertIsReceiptAsync(returned, "return")).Return);

        async Task<TradeMaster.Contracts.Ledger.Receipt> AssertIsReceiptAsync(HttpResponseMessage response, string kind)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.Created, body);
            Assert.Equal("application/json; charset=utf-8", response.Content.Headers.ContentType?.ToString());
            var receipt = JsonSerializer.Deserialize<TradeMaster.Contracts.Ledger.Receipt>(body, apiJson)!;
            Assert.Equal(JsonSerializer.Serialize(receipt, apiJson), body);
            Assert.Equal(kind, JsonDocument.Parse(body).RootElement.GetProperty("kind").GetString());
            Assert.Equal($"/api/v1/stores/1/transactions/{receipt.TransactionId}", response.Headers.Location?.OriginalString);
            return receipt;
        }
    }

    [Fact]
    public async Task CreateLateFeePayment_FeeALateReturnLeftOwed_Returns201OnceAndTheCustomerOwesNothing()
    {
        var itemId = await RentableItemAsync(offset: 3);
        var customerId = await fixture.ScalarAsync("select min(customer_id) + 7 from customers where active");
        var employeeId = await ClerkOfStoreAsync(1);
        using var client = fixture.Client();
        // Keyed in after an outage: rented six days ago for one day, back now without paying the fee.
        var startedAt = DateTimeOffset.UtcNow.AddDays(-6).ToString("O");
        var rental = await JsonAsync(await client.PostAsync("/api/v1/stores/1/rentals", Json(
            $$$"""
            {"employeeId":{{{employeeId}}},"customerId":{{{customerId}}},"lines":[{"itemId":{{{itemId}}},"quantity":1}],"days":1,
             "payment":{"method":"pix"},"startedAt":"{{{startedAt}}}"}
            """)), HttpStatusCode.Created);
        var rentalId = rental.GetProperty("rental").GetProperty("rentalId").GetGuid();
        var returned = await JsonAsync(await client.PostAsync("/api/v1/stores/1/returns", Json(
            $$$"""{"employeeId":{{{employeeId}}},"rentalId":"{{{rentalId}}}"}""")), HttpStatusCode.Created);
        var fee = returned.GetProperty("return").GetProperty("lateFee").GetDecimal();
        Assert.True(fee > 0);
        await Poll.UntilAsync(async () => (await JsonAsync(await client.GetAsync($"/api/v1/customers/{customerId}/rentals")))
            .GetProperty("unpaidFees").EnumerateArray().Any(u => u.GetProperty("rentalId").GetGuid() == rentalId
                && u.GetProperty("storeId").GetInt32() == 1 && u.GetProperty("lateFee").GetDecimal() == fee),
            TimeSpan.FromSeconds(10), "the customer's account lists the fee owed");

        var body = $$$"""{"employeeId":{{{employeeId}}},"rentalId":"{{{rentalId}}}","payment":{"method":"credit_card","installments":2}}""";
        var created = await client.PostAsync("/api/v1/stores/1/late-fee-payments", Json(body));
        var payment = await JsonAsync(created, HttpStatusCode.Created);
        Assert.Equal("late_fee_payment", payment.GetProperty("kind").GetString());
        Assert.Equal(fee, payment.GetProperty("total").GetDecimal());
        Assert.Equal(fee, payment.GetProperty("payment").GetProperty("amount").GetDecimal());
        Assert.Equal(2, payment.GetProperty("payment").GetProperty("installments").GetInt32());
        Assert.Equal(0, payment.GetProperty("lines").GetArrayLength());
        Assert.Equal(rentalId, payment.GetProperty("return").GetProperty("rentalId").GetGuid());
        Assert.True(payment.GetProperty("return").GetProperty("feePaid").GetBoolean());
        var record = await JsonAsync(await client.GetAsync(created.Headers.Location!.OriginalString));
        Assert.Equal("late_fee_payment", record.GetProperty("kind").GetString());

        // A retry with the same id gets the same answer; a second payment of the same fee is refused.
        var transactionId = payment.GetProperty("transactionId").GetGuid();
        var retry = await client.PostAsync("/api/v1/stores/1/late-fee-payments", Json(
            $$$"""{"transactionId":"{{{transactionId}}}","employeeId":{{{employeeId}}},"rentalId":"{{{rentalId}}}","payment":{"method":"credit_card","installments":2}}"""));
        Assert.Equal(HttpStatusCode.Created, retry.StatusCode);
        Assert.Equal(payment.GetRawText(), (await JsonAsync(retry, HttpStatusCode.Created)).GetRawText());
        await AssertProblemAsync(await client.PostAsync("/api/v1/stores/1/late-fee-payments", Json(body)),
            HttpStatusCode.UnprocessableEntity, "late_fee_not_owed");
        await Poll.UntilAsync(async () => (await JsonAsync(await client.GetAsync($"/api/v1/customers/{customerId}/rentals")))
            .GetProperty("unpaidLateFees").GetDecimal() == 0, TimeSpan.FromSeconds(10), "the customer owes nothing");
    }

    [Fact]
    public async Task CreateReturn_UnknownRental_Returns404RentalUnknown()
    {
        var employeeId = await ClerkOfStoreAsync(1);
        using var client = fixture.Client();
        var response = await client.PostAsync("/api/v1/stores/1/returns", Json(
            $$$"""{"employeeId":{{{employeeId}}},"rentalId":"{{{Guid.NewGuid()}}}"}"""));
        await AssertProblemAsync(response, HttpStatusCode.NotFound, "rental_unknown");
    }

    [Fact]
    public async Task GetTransaction_AfterSale_ServesTheHistoryRecordAtTheLocation()
    {
        var itemId = fixture.FreshSellableItem();
        var employeeId = await ClerkOfStoreAsync(1);
        using var client = fixture.Client();
        var created = await client.PostAsync(Sales, Json(
            $$$"""{"employeeId":{{{employeeId}}},"lines":[{"itemId":{{{itemId}}},"quantity":1}],"payment":{"method":"cash"}}"""));
        var receipt = await JsonAsync(created, HttpStatusCode.Created);
        var location = created.Headers.Location!.OriginalString;

        // The ledger commits a transaction to the history tables before it answers: the record is there at once.
        var record = await JsonAsync(await client.GetAsync(location));
        Assert.Equal(receipt.GetProperty("transactionId").GetGuid(), record.GetProperty("transactionId").GetGuid());
        Assert.Equal(receipt.GetProperty("eventId").GetGuid(), record.GetProperty("eventId").GetGuid());
        Assert.Equal("accepted", record.GetProperty("status").GetString());
        Assert.Equal("sale", record.GetProperty("kind").GetString());
    }

    [Fact]
    public async Task GetTransaction_Unknown_Returns404TransactionUnknown()
    {
        using var client = fixture.Client();
        await AssertProblemAsync(await client.GetAsync($"/api/v1/stores/1/transactions/{Guid.NewGuid()}"),
            HttpStatusCode.NotFound, "transaction_unknown");
    }
}
