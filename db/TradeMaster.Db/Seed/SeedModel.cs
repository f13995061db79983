using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Db.Seed;

public sealed record SeedStore(
    int StoreId, string Code, string Name, string Street, string StreetNumber, string District, string City,
    string State, string PostalCode, string Timezone, string Phone, DateOnly OpenedOn);

public sealed record SeedEmployee(int EmployeeId, int StoreId, string FullName, string Email, EmployeeRole Role, DateOnly HiredOn, bool Active);

public sealed record SeedCustomer(
    int CustomerId, string Cpf, string FullName, string Email, string Phone, DateOnly BirthDate, string City, string State,
    bool MarketingConsent, DateTimeOffset? ConsentAt, bool Active);

public sealed record SeedItem(
    int ItemId, MediaType MediaType, string Title, string Genre, string Creator, short ReleaseYear, string Ean, string? Isbn,
    decimal SalePrice, decimal DailyRentalPrice, bool Sellable, bool Rentable, bool Active);

public sealed record SeedStock(int StoreId, int ItemId, int CopiesForSale, int RentalCopiesOwned);

/// <summary>A development API key in clear text; only its hash is stored.</summary>
public sealed record SeedApiKey(string Key, int StoreId, EmployeeRole Role, string Label);

public sealed record SeedData(
    IReadOnlyList<SeedStore> Stores,
    IReadOnlyList<SeedEmployee> Employees,
    IReadOnlyList<SeedCustomer> Customers,
    IReadOnlyList<SeedItem> Items,
    IReadOnlyList<SeedStock> Stock,
    IReadOnlyList<SeedApiKey> ApiKeys);

public sealed record SeedOptions
{
    public int Seed { get; init; } = 20231125;
    public int Stores { get; init; } = 5;
    public int Employees { get; init; } = 40;
    public int Customers { get; init; } = 2000;
    public int Items { get; init; } = 1000;

    /// <summary>
    /// Multiplies every store's seeded copies (for sale and for rent). The random draws are the same at any scale, so
    /// which items a store carries, and which it has none of, does not change; only how long the stock lasts. The
    /// benchmark needs thousands of copies per title to run at thousands of transactions per second for minutes.
    /// </summary>
    public int StockScale { get; init; } = 1;
}
