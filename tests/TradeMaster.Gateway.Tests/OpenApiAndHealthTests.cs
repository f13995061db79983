using System.Net;
using System.Text.Json;
using static TradeMaster.Gateway.Tests.Problems;

namespace TradeMaster.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class OpenApiAndHealthTests(GatewayFixture fixture)
{
    public static TheoryData<string, string, int[]> Operations => new()
    {
        { "/api/v1/stores", "get", [200, 401, 403] },
        { "/api/v1/stores/{storeId}", "get", [200, 401, 403, 404] },
        { "/api/v1/stores/{storeId}/employees", "get", [200, 401, 403] },
        { "/api/v1/stores/{storeId}/stock/{itemId}", "get", [200, 401, 403, 404, 503] },
        { "/api/v1/stores/{storeId}/sales", "post", [201, 400, 401, 403, 404, 409, 413, 415, 422, 503] },
        { "/api/v1/stores/{storeId}/rentals", "post", [201, 400, 401, 403, 404, 409, 413, 415, 422, 503] },
        { "/api/v1/stores/{storeId}/returns", "post", [201, 400, 401, 403, 404, 409, 413, 415, 422, 503] },
        { "/api/v1/stores/{storeId}/late-fee-payments", "post", [201, 400, 401, 403, 404, 409, 413, 415, 422, 503] },
        { "/api/v1/stores/{storeId}/transactions/{transactionId}", "get", [200, 401, 403, 404] },
        { "/api/v1/items", "get", [200, 400, 401, 403] },
        { "/api/v1/items/{itemId}", "get", [200, 401, 403, 404, 503] },
        { "/api/v1/items/{itemId}/availability", "get", [200, 401, 403, 404, 503] },
        { "/api/v1/customers", "get", [200, 400, 401, 403, 404] },
        { "/api/v1/customers/{customerId}/rentals", "get", [200, 401, 403, 404, 503] },
    };

    private async Task<JsonElement> DocumentAsync()
    {
        using var client = fixture.Anonymous();
        return await JsonAsync(await client.GetAsync("/openapi/v1.json"));
    }

    [Theory]
    [MemberData(nameof(Operations))]
    public async Task OpenApi_EveryEndpoint_IsDescribedWithItsErrorResponsesAndSecurity(string path, string method, int[] statuses)
    {
        var document = await DocumentAsync();
        Assert.True(document.GetProperty("paths").TryGetProperty(path, out var item), $"{path} is missing");
        Assert.True(item.TryGetProperty(method, out var operation), $"{method} {path} is missing");
        var documented = operation.GetProperty("responses").EnumerateObject().Select(r => int.Parse(r.Name, System.Globalization.CultureInfo.InvariantCulture)).ToHashSet();
        Assert.Subset(documented, statuses.ToHashSet());
        Assert.True(operation.TryGetProperty("security", out var security) && security.GetArrayLength() > 0, $"{method} {path} has no security");
        foreach (var status in statuses.Where(s => s >= 400))
        {
            var content = operation.GetProperty("responses").GetProperty(status.ToString(System.Globalization.CultureInfo.InvariantCulture)).GetProperty("content");
            Assert.True(content.TryGetProperty("application/problem+json", out _), $"{method} {path} {status} is not a problem");
        }
    }

    [Fact]
    public async Task OpenApi_Document_DescribesBodiesEnumsAndTheApiKeyScheme()
    {
        var document = await DocumentAsync();
        var schemes = document.GetProperty("components").GetProperty("securitySchemes");
        Assert.Equal("X-Api-Key", schemes.GetProperty("ApiKey").GetProperty("name").GetString());
        Assert.Equal("header", schemes.GetProperty("ApiKey").GetProperty("in").GetString());
        Assert.Equal("bearer", schemes.GetProperty("Bearer").GetProperty("scheme").GetString());

        var sale = document.GetProperty("paths").GetProperty("/api/v1/stores/{storeId}/sales").GetProperty("post");
        Assert.True(sale.GetProperty("requestBody").GetProperty("content").TryGetProperty("application/json", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var saleBody = schemas.GetProperty("SaleBody");
        Assert.Equal(["employeeId", "lines", "payment"], saleBody.GetProperty("required").EnumerateArray().Select(r => r.GetString()!).Order(StringComparer.Ordinal));
        foreach (var property in new[] { "transactionId", "employeeId", "customerId", "lines", "payment" })
        {
            Assert.True(saleBody.GetProperty("properties").TryGetProperty(property, out _), property);
        }
        Assert.Equal(["cash", "credit_card", "debit_card", "pix"],
            schemas.GetProperty("PaymentMethod").GetProperty("enum").EnumerateArray().Select(e => e.GetString()!).Order(StringComparer.Ordinal));
        Assert.Contains("series_dvd", schemas.GetProperty("MediaType").GetProperty("enum").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Scalar_Ui_IsServedWithoutAKey()
    {
        using var client = fixture.Anonymous();
        var response = await client.GetAsync("/scalar/v1");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"url\":\"openapi/v1.json\"", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/scalar/scalar.js")).StatusCode);
    }

    [Fact]
    public async Task Health_LiveAndReady_AreHealthyWithSiloAndDatabaseUp()
    {
        using var client = fixture.Anonymous();
        var live = await client.GetAsync("/health/live");
        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Equal("Healthy", await ready.Content.ReadAsStringAsync());
    }
}
