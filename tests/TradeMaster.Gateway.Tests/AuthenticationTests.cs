using System.Net;
using System.Net.Http.Headers;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using static TradeMaster.Gateway.Tests.Problems;

namespace TradeMaster.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class AuthenticationTests(GatewayFixture fixture)
{
    [Fact]
    public async Task ListStores_NoKey_Returns401Unauthenticated()
    {
        using var client = fixture.Anonymous();
        var response = await client.GetAsync("/api/v1/stores");
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains(response.Headers.WwwAuthenticate, h => h.Scheme == "Bearer");
    }

    [Fact]
    public async Task CreateSale_NoKey_Returns401BeforeLookingAtTheBody()
    {
        using var client = fixture.Anonymous();
        var response = await client.PostAsync("/api/v1/stores/1/sales", Json("{ not json"));
        await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task ListStores_UnknownKey_Returns401Unauthenticated()
    {
        using var client = fixture.Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", "tm-dev-store1-janitor");
        var body = await AssertProblemAsync(await client.GetAsync("/api/v1/stores"), HttpStatusCode.Unauthorized, "unauthenticated");
        Assert.Contains("unknown or revoked", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task ListStores_RevokedKey_Returns401Unauthenticated()
    {
        const string key = "tm-test-revoked-key";
        await fixture.ScalarAsync(
            "insert into api_keys (key_hash, store_id, role, label, revoked_at) values ($1, 1, 'manager', 'revoked test key', now()) returning api_key_id",
            SeedDataWriter.HashApiKey(key));
        using var client = fixture.Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", key);
        await AssertProblemAsync(await client.GetAsync("/api/v1/stores"), HttpStatusCode.Unauthorized, "unauthenticated");
    }

    [Fact]
    public async Task ListStores_BearerToken_Returns200()
    {
        using var client = fixture.Anonymous();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", SeedDataGenerator.DevApiKey(2, EmployeeRole.Clerk));
        var stores = await JsonAsync(await client.GetAsync("/api/v1/stores"));
        Assert.Equal(5, stores.GetArrayLength());
    }

    [Fact]
    public async Task CreateSale_ClerkKeyOfAnotherStore_Returns403ForbiddenStoreAndSellsNothing()
    {
        var itemId = fixture.FreshSellableItem();
        var employeeOfStore2 = await fixture.ScalarAsync("select min(employee_id) from employees where store_id = 2 and active");
        using var store1Clerk = fixture.Client(1);
        using var store2Clerk = fixture.Client(2);
        var stockBefore = await JsonAsync(await store2Clerk.GetAsync($"/api/v1/stores/2/stock/{itemId}"));

        var response = await store1Clerk.PostAsync("/api/v1/stores/2/sales", Json(
            $$$"""{"employeeId":{{{employeeOfStore2}}},"lines":[{"itemId":{{{itemId}}},"quantity":1}],"payment":{"method":"cash"}}"""));

        var problem = await AssertProblemAsync(response, HttpStatusCode.Forbidden, "forbidden_store");
        Assert.Contains("store 1", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var stockAfter = await JsonAsync(await store2Clerk.GetAsync($"/api/v1/stores/2/stock/{itemId}"));
        Assert.Equal(stockBefore.GetProperty("copiesForSale").GetInt32(), stockAfter.GetProperty("copiesForSale").GetInt32());
    }

    [Fact]
    public async Task GetStock_KeyOfAnotherStore_Returns403ForbiddenStore()
    {
        using var client = fixture.Client(3, EmployeeRole.Manager);
        await AssertProblemAsync(await client.GetAsync("/api/v1/stores/1/stock/1"), HttpStatusCode.Forbidden, "forbidden_store");
    }

    [Fact]
    public async Task ListEmployees_ClerkKey_Returns403ForbiddenRole()
    {
        using var client = fixture.Client(1, EmployeeRole.Clerk);
        await AssertProblemAsync(await client.GetAsync("/api/v1/stores/1/employees"), HttpStatusCode.Forbidden, "forbidden_role");
    }
}
