using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using TradeMaster.Testing;

namespace TradeMaster.Db.Tests;

public sealed class SeedDataTests
{
    [Fact]
    public void Generate_SameSeed_YieldsIdenticalData()
    {
        var a = SeedDataGenerator.Generate(new SeedOptions { Seed = 7 });
        var b = SeedDataGenerator.Generate(new SeedOptions { Seed = 7 });
        var c = SeedDataGenerator.Generate(new SeedOptions { Seed = 8 });

        Assert.Equal(a.Customers, b.Customers);
        Assert.Equal(a.Items, b.Items);
        Assert.Equal(a.Stock, b.Stock);
        Assert.Equal(a.Employees, b.Employees);
        Assert.NotEqual(a.Customers.Select(x => x.Cpf), c.Customers.Select(x => x.Cpf));
    }

    [Fact]
    public void Generate_Defaults_MeetTheRequiredVolumesAndValidity()
    {
        var data = SeedDataGenerator.Generate();

        Assert.True(data.Stores.Count >= 5);
        Assert.Equal(data.Stores.Count, data.Stores.Select(s => s.City).Distinct().Count());
        Assert.Equal(40, data.Employees.Count);
        Assert.All(data.Stores, s => Assert.Contains(data.Employees, e => e.StoreId == s.StoreId && e.Role == EmployeeRole.Manager));
        Assert.Equal(2000, data.Customers.Count);
        Assert.All(data.Customers, c => Assert.True(BrazilianDocuments.IsValidCpf(c.Cpf), c.Cpf));
        Assert.Equal(data.Customers.Count, data.Customers.Select(c => c.Cpf).Distinct().Count());
        Assert.Equal(1000, data.Items.Count);
        Assert.Equal(3, data.Items.Select(i => i.MediaType).Distinct().Count());
        Assert.All(data.Items, i => Assert.True(BrazilianDocuments.IsValidEan13(i.Ean), i.Ean));
        Assert.All(data.Items.Where(i => i.MediaType == MediaType.Book), i => Assert.StartsWith("978", i.Isbn));
        Assert.All(data.Stores, s => Assert.True(data.Stock.Count(x => x.StoreId == s.StoreId) > 500));
    }

    [Fact]
    public void Generate_StockScale_MultipliesEveryStockCountAndKeepsZeros()
    {
        var plain = SeedDataGenerator.Generate();
        var scaled = SeedDataGenerator.Generate(new SeedOptions { StockScale = 1000 });

        // The same draws: the same shelves, the same people and catalog, only deeper stock.
        Assert.Equal(plain.Stock.Select(s => (s.StoreId, s.ItemId)), scaled.Stock.Select(s => (s.StoreId, s.ItemId)));
        Assert.Equal(plain.Stock.Select(s => (s.CopiesForSale * 1000, s.RentalCopiesOwned * 1000)),
            scaled.Stock.Select(s => (s.CopiesForSale, s.RentalCopiesOwned)));
        Assert.Contains(scaled.Stock, s => s.CopiesForSale == 0);
        Assert.Contains(scaled.Stock, s => s.RentalCopiesOwned == 0);
        Assert.Equal(plain.Items, scaled.Items);
        Assert.Equal(plain.Customers, scaled.Customers);
        Assert.Equal(plain.Employees, scaled.Employees);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(SeedDataGenerator.MaxStockScale + 1)]
    public void Generate_StockScaleOutOfRange_Throws(int scale) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => SeedDataGenerator.Generate(new SeedOptions { StockScale = scale }));

    [Fact]
    public async Task StartAsync_SeedStockScaleConfigured_SeedsTheScaledStock()
    {
        var connectionString = await PostgresServer.CreateEmptyDatabaseAsync("stock_scale");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ledger:SeedOnStart"] = "true",
            ["Ledger:SeedStockScale"] = "1000",
        }).Build();

        await new DatabaseInitializer(dataSource, configuration, NullLoggerFactory.Instance).StartAsync(CancellationToken.None);

        var expected = SeedDataGenerator.Generate().Stock;
        await using var command = dataSource.CreateCommand(
            "select sum(copies_for_sale), sum(rental_copies_owned), count(*) filter (where copies_for_sale = 0), count(*) from stock");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(expected.Sum(s => (long)s.CopiesForSale) * 1000, reader.GetInt64(0));
        Assert.Equal(expected.Sum(s => (long)s.RentalCopiesOwned) * 1000, reader.GetInt64(1));
        Assert.Equal(expected.Count(s => s.CopiesForSale == 0), reader.GetInt64(2));
        Assert.Equal(expected.Count, reader.GetInt64(3));
    }

    [Theory]
    [InlineData("529.982.247-25", true)]
    [InlineData("52998224725", true)]
    [InlineData("529.982.247-26", false)]
    [InlineData("111.111.111-11", false)]
    [InlineData("5299822472", false)]
    [InlineData("52998224725a", false)]
    [InlineData(null, false)]
    public void IsValidCpf_KnownValues_AreClassifiedCorrectly(string? cpf, bool valid) =>
        Assert.Equal(valid, BrazilianDocuments.IsValidCpf(cpf));

    [Fact]
    public async Task WriteIfEmptyAsync_SecondTime_WritesNothing()
    {
        var connectionString = await PostgresServer.CreateDatabaseAsync("seed");
        await using var dataSource = NpgsqlDataSource.Create(connectionString);

        var wroteAgain = await SeedDataWriter.WriteIfEmptyAsync(dataSource, SeedDataGenerator.Generate());

        Assert.False(wroteAgain);
        await using var command = dataSource.CreateCommand(
            "select (select count(*) from customers), (select count(*) from catalog_items), (select count(*) from stores), (select count(*) from api_keys)");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        Assert.Equal(2000, reader.GetInt64(0));
        Assert.Equal(1000, reader.GetInt64(1));
        Assert.Equal(5, reader.GetInt64(2));
        Assert.Equal(10, reader.GetInt64(3));
    }
}
