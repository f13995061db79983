using System.Net;
using System.Net.Http.Headers;
using System.Text;
using static TradeMaster.Gateway.Tests.Problems;

namespace TradeMaster.Gateway.Tests;

/// <summary>Whatever a client sends, the answer is a 4xx ProblemDetails naming what is wrong, never a 500.</summary>
[Collection(GatewayCollection.Name)]
public sealed class ValidationTests(GatewayFixture fixture)
{
    private const string Sales = "/api/v1/stores/1/sales";

    [Fact]
    public async Task CreateSale_WrongTypes_Returns400NamingEveryField()
    {
        using var client = fixture.Client();
        var response = await client.PostAsync(Sales, Json(
            """{"transactionId":42,"employeeId":"seven","customerId":true,"lines":"two books","payment":"cash"}"""));
        var body = await AssertFieldErrorsAsync(response, "validation_failed", "transactionId", "employeeId", "customerId", "lines", "payment");
        Assert.Contains("integer", body.GetProperty("errors").GetProperty("employeeId")[0].GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateSale_MissingFields_Returns400NamingEachRequiredField()
    {
        using var client = fixture.Client();
        var response = await client.PostAsync(Sales, Json("""{"customerId":5}"""));
        await AssertFieldErrorsAsync(response, "validation_failed", "employeeId", "lines", "payment");
    }

    [Fact]
    public async Task CreateSale_BadLinesAndPayment_Returns400NamingNestedPaths()
    {
        using var client = fixture.Client();
        var response = await client.PostAsync(Sales, Json(
            """
            {"employeeId":1,"lines":[{"itemId":1,"quantity":-3},{"itemId":0,"quantity":1000000000000},{"quantity":1},"x"],
             "payment":{"method":"cheque"}}
            """));
        await AssertFieldErrorsAsync(response, "validation_failed",
            "lines[0].quantity", "lines[1].itemId", "lines[1].quantity", "lines[2].itemId", "lines[3]", "payment.method");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    public async Task CreateSale_QuantityOutsideCap_Returns400NamingQuantity(int quantity)
    {
        using var client = fixture.Client();
        var response = await client.PostAsync(Sales, Json(
            $$$"""{"employeeId":1,"lines":[{"itemId":1,"quantity":{{{quantity}}}""" + """}],"payment":{"method":"pix"}}"""));
        await AssertFieldErrorsAsync(response, "validation_failed", "lines[0].quantity");
    }

    [Fact]
    public async Task CreateSale_TooManyOrNoLines_Returns400NamingLines()
    {
        using var client = fixture.Client();
        var lines = string.Join(",", Enumerable.Range(1, 51).Select(i => $$$"""{"itemId":{{{i}}},"quantity":1}"""));
        var tooMany = await client.PostAsync(Sales, Json($$$"""{"employeeId":1,"lines":[{{{lines}}}],"payment":{"method":"cash"}}"""));
        await AssertFieldErrorsAsync(tooMany, "validation_failed", "lines");
        var none = await client.PostAsync(Sales, Json("""{"employeeId":1,"lines":[],"payment":{"method":"cash"}}"""));
        await AssertFieldErrorsAsync(none, "validation_failed", "lines");
    }

    [Theory]
    [InlineData("""{"method":"pix","installments":3}""")]
    [InlineData("""{"method":"credit_card","installments":13}""")]
    [InlineData("""{"method":"credit_card","installments":0}""")]
    [InlineData("""{"method":"credit_card","installments":"3x"}""")]
    public async Task CreateSale_BadInstallments_Returns400NamingInstallments(string payment)
    {
        using var client = fixture.Client();
        var response = await client.PostAsync(Sales, Json(
            """{"employeeId":1,"lines":[{"itemId":1,"quantity":1}],"payment":""" + payment + "}"));
        await AssertFieldErrorsAsync(response, "validation_failed", "payment.installments");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(31)]
    public async Task CreateRental_DaysOutOfRange_Returns400NamingDays(int days)
    {
        using var client = fixture.Client();
        var response = await client.PostAsync("/api/v1/stores/1/rentals", Json(
            $$$"""{"employeeId":1,"customerId":1,"lines":[{"itemId":1,"quantity":1}],"days":{{{days}}},"payment":{"method":"cash"}}"""));
        await AssertFieldErrorsAsync(response, "validation_failed", "days");
    }

    [Fact]
    public async Task CreateRental_MissingCustomerAndDays_Returns400NamingBoth()
    {
        using var client = fixture.Client();
        var response = await client.PostAsync("/api/v1/stores/1/rentals", Json(
            """{"employeeId":1,"lines":[{"itemId":1,"quantity":1}],"payment":{"method":"cash"}}"""));
        await AssertFieldErrorsAsync(response, "validation_failed", "customerId", "days");
    }

    [Fact]
    public async Task CreateReturn_BadRentalIdAndLocalTime_Returns400NamingBoth()
    {
        using var client = fixture.Client();
        var response = await client.PostAsync("/api/v1/stores/1/returns", Json(
            """{"employeeId":1,"rentalId":"rental-7","returnedAt":"2025-03-01T10:00:00"}"""));
        await AssertFieldErrorsAsync(response, "validation_failed", "rentalId", "returnedAt");
    }

    [Fact]
    public async Task CreateLateFeePayment_NoRentalNoPaymentAndAnAmount_Returns400NamingEach()
    {
        using var client = fixture.Client();
        var response = await client.PostAsync("/api/v1/stores/1/late-fee-payments", Json("""{"employeeId":0,"rentalId":"r-1"}"""));
        await AssertFieldErrorsAsync(response, "validation_failed", "employeeId", "rentalId", "payment");
        var installments = await client.PostAsync("/api/v1/stores/1/late-fee-payments", Json(
            $$$"""{"employeeId":1,"rentalId":"{{{Guid.NewGuid()}}}","payment":{"method":"pix","installments":3}}"""));
        await AssertFieldErrorsAsync(installments, "validation_failed", "payment.installments");
    }

    [Theory]
    [InlineData("{\"employeeId\": 1,")]
    [InlineData("{'employeeId': 1}")]
    [InlineData("[1, 2, 3]")]
    [InlineData("\"a string\"")]
    [InlineData("")]
    public async Task CreateSale_NotAJsonObject_Returns400MalformedJson(string text)
    {
        using var client = fixture.Client();
        var response = await client.PostAsync(Sales, Json(text));
        await AssertFieldErrorsAsync(response, "malformed_json", "$");
    }

    [Fact]
    public async Task CreateReturn_InvalidUtf8OrTooDeep_Returns400NotA500()
    {
        using var client = fixture.Client();
        var invalidUtf8 = new ByteArrayContent(
            [.. "{\"employeeId\":1,\"rentalId\":\""u8, 0xC3, 0x28, .. "\",\"returnedAt\":\""u8, 0xFF, .. "\"}"u8]);
        invalidUtf8.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync("/api/v1/stores/1/returns", invalidUtf8);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        var deep = "{\"a\":" + new string('[', 200) + new string(']', 200) + "}";
        await AssertFieldErrorsAsync(await client.PostAsync(Sales, Json(deep)), "malformed_json", "$");
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("application/xml")]
    [InlineData("application/x-www-form-urlencoded")]
    public async Task CreateSale_WrongContentType_Returns415(string mediaType)
    {
        using var client = fixture.Client();
        var content = new StringContent("""{"employeeId":1}""", Encoding.UTF8, mediaType);
        await AssertProblemAsync(await client.PostAsync(Sales, content), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task CreateSale_NoContentType_Returns415()
    {
        using var client = fixture.Client();
        var content = new ByteArrayContent("""{"employeeId":1}"""u8.ToArray());
        await AssertProblemAsync(await client.PostAsync(Sales, content), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
    }

    [Fact]
    public async Task CreateSale_TenMegabyteBody_Returns413()
    {
        using var client = fixture.Client();
        var huge = "{\"employeeId\":1,\"padding\":\"" + new string('x', 10 * 1024 * 1024) + "\"}";
        var response = await client.PostAsync(Sales, Json(huge));
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task CreateSale_TenMegabyteChunkedBody_Returns413()
    {
        using var client = fixture.Client();
        var bytes = Encoding.UTF8.GetBytes("{\"employeeId\":1,\"padding\":\"" + new string('x', 10 * 1024 * 1024) + "\"}");
        // A stream of unknown length goes out chunked, without a Content-Length the server could check up front.
        var content = new StreamContent(new NonSeekableStream(bytes));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var response = await client.PostAsync(Sales, content);
        await AssertProblemAsync(response, HttpStatusCode.RequestEntityTooLarge, "payload_too_large");
    }

    [Fact]
    public async Task CreateSale_IdempotencyKeyDiffersFromBody_Returns400NamingTransactionId()
    {
        using var client = fixture.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, Sales)
        {
            Content = Json($$$"""{"transactionId":"{{{Guid.NewGuid()}}}","employeeId":1,"lines":[{"itemId":1,"quantity":1}],"payment":{"method":"cash"}}"""),
        };
        request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
        await AssertFieldErrorsAsync(await client.SendAsync(request), "validation_failed", "transactionId");
    }

    [Fact]
    public async Task CreateSale_IdempotencyKeyNotUuid_Returns400NamingTheHeader()
    {
        using var client = fixture.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, Sales)
        {
            Content = Json("""{"employeeId":1,"lines":[{"itemId":1,"quantity":1}],"payment":{"method":"cash"}}"""),
        };
        request.Headers.Add("Idempotency-Key", "retry-1");
        await AssertFieldErrorsAsync(await client.SendAsync(request), "validation_failed", "Idempotency-Key");
    }

    [Fact]
    public async Task SearchItems_UnknownMediaTypeAndBadPage_Returns400NamingBoth()
    {
        using var client = fixture.Client();
        var response = await client.GetAsync("/api/v1/items?mediaType=vhs&page=0");
        await AssertFieldErrorsAsync(response, "validation_failed", "mediaType", "page");
    }

    [Theory]
    [InlineData("529.982.247-26")]
    [InlineData("1234")]
    [InlineData("abc")]
    [InlineData("")]
    public async Task FindCustomer_InvalidCpf_Returns400NamingCpf(string cpf)
    {
        using var client = fixture.Client();
        var response = await client.GetAsync($"/api/v1/customers?cpf={Uri.EscapeDataString(cpf)}");
        await AssertFieldErrorsAsync(response, "validation_failed", "cpf");
    }

    [Fact]
    public async Task UnknownRoute_Returns404ProblemWithCode()
    {
        using var client = fixture.Client();
        await AssertProblemAsync(await client.GetAsync("/api/v1/stores/1/nothing-here"), HttpStatusCode.NotFound, "not_found");
    }

    [Fact]
    public async Task GetSales_WrongMethod_Returns405ProblemWithCode()
    {
        using var client = fixture.Client();
        await AssertProblemAsync(await client.GetAsync(Sales), HttpStatusCode.MethodNotAllowed, "method_not_allowed");
    }

    [Theory]
    [InlineData("/api/v1/stores/1/rentals")]
    [InlineData("/api/v1/stores/1/returns")]
    [InlineData("/api/v1/stores/1/late-fee-payments")]
    public async Task CreateRentalOrReturn_WrongContentTypeOrInvalidJson_Returns415Or400(string path)
    {
        using var client = fixture.Client();
        var text = new StringContent("employeeId=1", Encoding.UTF8, "text/plain");
        await AssertProblemAsync(await client.PostAsync(path, text), HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        await AssertFieldErrorsAsync(await client.PostAsync(path, Json("{\"employeeId\":")), "malformed_json", "$");
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
