using System.Net;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using static TradeMaster.Gateway.Tests.Problems;

namespace TradeMaster.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class LookupTests(GatewayFixture fixture)
{
    [Fact]
    public async Task ListStores_AnyKey_ReturnsEveryStoreInIdOrder()
    {
        using var client = fixture.Client(4);
        var stores = (await JsonAsync(await client.GetAsync("/api/v1/stores"))).EnumerateArray().ToArray();
        Assert.Equal([1, 2, 3, 4, 5], stores.Select(s => s.GetProperty("storeId").GetInt32()));
        Assert.All(stores, s => Assert.False(string.IsNullOrEmpty(s.GetProperty("city").GetString())));
    }

    [Fact]
    public async Task GetStore_KnownAndUnknown_Returns200Or404StoreUnknown()
    {
        using var client = fixture.Client(1);
        var store = await JsonAsync(await client.GetAsync("/api/v1/stores/3"));
        Assert.Equal(3, store.GetProperty("storeId").GetInt32());
        Assert.Matches("^[0-9]{8}$", store.GetProperty("postalCode").GetString());
        await AssertProblemAsync(await client.GetAsync("/api/v1/stores/77"), HttpStatusCode.NotFound, "store_unknown");
    }

    [Fact]
    public async Task ListEmployees_ManagerKey_ReturnsOnlyThatStoresStaff()
    {
        using var client = fixture.Client(2, EmployeeRole.Manager);
        var employees = (await JsonAsync(await client.GetAsync("/api/v1/stores/2/employees"))).EnumerateArray().ToArray();
        var expected = await fixture.ScalarAsync("select count(*) from employees where store_id = 2");
        Assert.Equal(expected, employees.Length);
        Assert.All(employees, e => Assert.Equal(2, e.GetProperty("storeId").GetInt32()));
        Assert.Contains(employees, e => e.GetProperty("role").GetString() == "manager");
    }

    [Fact]
    public async Task SearchItems_TitleFragment_ReturnsMatchingTitlesInStablePages()
    {
        using var client = fixture.Client();
        var expected = await fixture.ScalarAsync("select count(*) from catalog_items where active and title ilike '%temporada%'");
        Assert.True(expected > 50, "the seed should give more than one page of 'temporada' titles");

        var page1 = await JsonAsync(await client.GetAsync("/api/v1/items?query=TEMPORADA"));
        var page2 = await JsonAsync(await client.GetAsync("/api/v1/items?query=TEMPORADA&page=2"));
        var again = await JsonAsync(await client.GetAsync("/api/v1/items?query=TEMPORADA"));

        Assert.Equal(50, page1.GetProperty("pageSize").GetInt32());
        Assert.True(page1.GetProperty("hasMore").GetBoolean());
        var ids1 = page1.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetInt32()).ToArray();
        var ids2 = page2.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetInt32()).ToArray();
        Assert.Equal(50, ids1.Length);
        Assert.Empty(ids1.Intersect(ids2));
        Assert.Equal(ids1, again.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("itemId").GetInt32()));
        Assert.All(page1.GetProperty("items").EnumerateArray(),
            i => Assert.Contains("temporada", i.GetProperty("title").GetString(), StringComparison.OrdinalIgnoreCase));
        Assert.Equal(Math.Min(50, expected - 50), ids2.Length);
    }

    [Fact]
    public async Task SearchItems_MediaTypeAndWildcardCharacters_FilterAndMatchLiterally()
    {
        using var client = fixture.Client();
        var movies = await JsonAsync(await client.GetAsync("/api/v1/items?mediaType=series_dvd"));
        Assert.NotEmpty(movies.GetProperty("items").EnumerateArray());
        Assert.All(movies.GetProperty("items").EnumerateArray(), i => Assert.Equal("series_dvd", i.GetProperty("mediaType").GetString()));

        var wildcard = await JsonAsync(await client.GetAsync("/api/v1/items?query=%25"));
        Assert.Empty(wildcard.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task SearchItems_Isbn_FindsTheBook()
    {
        var itemId = await fixture.ScalarAsync("select min(item_id) from catalog_items where isbn is not null and active");
        await using var command = fixture.Database.CreateCommand("select isbn from catalog_items where item_id = $1");
        command.Parameters.AddWithValue(itemId);
        var isbn = (string)(await command.ExecuteScalarAsync())!;
        using var client = fixture.Client();
        var found = await JsonAsync(await client.GetAsync($"/api/v1/items?query={isbn}"));
        Assert.Equal(itemId, found.GetProperty("items")[0].GetProperty("itemId").GetInt32());
    }

    [Fact]
    public async Task GetItem_KnownAndUnknown_Returns200WithWireMediaTypeOr404ItemUnknown()
    {
        using var client = fixture.Client();
        var seriesId = await fixture.ScalarAsync("select min(item_id) from catalog_items where media_type = 'series_dvd'");
        var item = await JsonAsync(await client.GetAsync($"/api/v1/items/{seriesId}"));
        Assert.Equal(seriesId, item.GetProperty("itemId").GetInt32());
        Assert.Equal("series_dvd", item.GetProperty("mediaType").GetString());
        await AssertProblemAsync(await client.GetAsync("/api/v1/items/999999"), HttpStatusCode.NotFound, "item_unknown");
    }

    [Fact]
    public async Task GetAvailability_StockedItem_ListsTheStoresThatCarryIt()
    {
        var itemId = await fixture.ScalarAsync("select min(item_id) from stock where store_id = 2");
        using var client = fixture.Client();
        var availability = await JsonAsync(await client.GetAsync($"/api/v1/items/{itemId}/availability"));
        Assert.Equal(itemId, availability.GetProperty("itemId").GetInt32());
        Assert.Contains(availability.GetProperty("stores").EnumerateArray(), s => s.GetProperty("storeId").GetInt32() == 2);
        await AssertProblemAsync(await client.GetAsync("/api/v1/items/999999/availability"), HttpStatusCode.NotFound, "item_unknown");
    }

    [Fact]
    public async Task GetStock_SeededItem_MatchesTheStockTable()
    {
        var itemId = await fixture.ScalarAsync("select max(item_id) from stock where store_id = 5");
        var copies = await fixture.ScalarAsync("select copies_for_sale from stock where store_id = 5 and item_id = $1", itemId);
        using var client = fixture.Client(5);
        var stock = await JsonAsync(await client.GetAsync($"/api/v1/stores/5/stock/{itemId}"));
        Assert.Equal(copies, stock.GetProperty("copiesForSale").GetInt32());
        Assert.Equal(5, stock.GetProperty("storeId").GetInt32());
        await AssertProblemAsync(await client.GetAsync("/api/v1/stores/5/stock/999999"), HttpStatusCode.NotFound, "item_unknown");
    }

    [Fact]
    public async Task FindCustomer_FormattedOrDigitsOnly_FindsTheSameCustomer()
    {
        var customerId = await fixture.ScalarAsync("select min(customer_id) from customers");
        await using var command = fixture.Database.CreateCommand("select cpf from customers where customer_id = $1");
        command.Parameters.AddWithValue(customerId);
        var cpf = (string)(await command.ExecuteScalarAsync())!;
        using var client = fixture.Client(3);

        var byDigits = await JsonAsync(await client.GetAsync($"/api/v1/customers?cpf={cpf}"));
        var byFormatted = await JsonAsync(await client.GetAsync($"/api/v1/customers?cpf={BrazilianDocuments.FormatCpf(cpf)}"));

        Assert.Equal(customerId, byDigits.GetProperty("customerId").GetInt32());
        Assert.Equal(customerId, byFormatted.GetProperty("customerId").GetInt32());
        Assert.Equal(BrazilianDocuments.FormatCpf(cpf), byDigits.GetProperty("cpf").GetString());
    }

    [Fact]
    public async Task FindCustomer_ValidButUnknownCpf_Returns404CustomerUnknown()
    {
        var cpf = Enumerable.Range(0, 1000)
            .Select(n => BrazilianDocuments.CompleteCpf([9, 8, 7, 6, 5, 4, n / 100, n / 10 % 10, n % 10]))
            .First(c => BrazilianDocuments.IsValidCpf(c));
        await using (var delete = fixture.Database.CreateCommand("select count(*) from customers where cpf = $1"))
        {
            delete.Parameters.AddWithValue(cpf);
            Assert.Equal(0L, (long)(await delete.ExecuteScalarAsync())!);
        }
        using var client = fixture.Client();
        await AssertProblemAsync(await client.GetAsync($"/api/v1/customers?cpf={cpf}"), HttpStatusCode.NotFound, "customer_unknown");
    }

    [Fact]
    public async Task GetCustomerRentals_KnownAndUnknown_Returns200WithLimitOr404CustomerUnknown()
    {
        var customerId = await fixture.ScalarAsync("select max(customer_id) from customers where active");
        using var client = fixture.Client();
        var account = await JsonAsync(await client.GetAsync($"/api/v1/customers/{customerId}/rentals"));
        Assert.Equal(customerId, account.GetProperty("customerId").GetInt32());
        Assert.True(account.GetProperty("rentalLimit").GetInt32() > 0);
        Assert.Equal(JsonValueKindArray, account.GetProperty("openRentals").ValueKind);
        await AssertProblemAsync(await client.GetAsync("/api/v1/customers/99999999/rentals"), HttpStatusCode.NotFound, "customer_unknown");
    }

    private const System.Text.Json.JsonValueKind JsonValueKindArray = System.Text.Json.JsonValueKind.Array;
}
