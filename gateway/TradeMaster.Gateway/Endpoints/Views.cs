using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Gateway.Endpoints;

public sealed record StoreView(
    int StoreId, string Code, string Name, string Street, string StreetNumber, string District, string City,
    string State, string PostalCode, string Timezone, string? Phone, DateOnly OpenedOn, bool Active);

public sealed record EmployeeView(int EmployeeId, int StoreId, string FullName, string Email, EmployeeRole Role, DateOnly HiredOn, bool Active);

public sealed record ItemSummary(
    int ItemId, string Title, MediaType MediaType, string Genre, string? Creator, int? ReleaseYear, string? Ean,
    string? Isbn, decimal SalePrice, decimal DailyRentalPrice, bool Sellable, bool Rentable);

public sealed record ItemPage(int Page, int PageSize, bool HasMore, IReadOnlyList<ItemSummary> Items);

public sealed record CustomerView(
    int CustomerId, string Cpf, string FullName, string? Email, string? Phone, string? City, string? State, bool Active);

/// <summary>A transaction as the history tables know it (the ledger commits it there before answering).</summary>
public sealed record TransactionRecord(
    Guid TransactionId, int StoreId, TransactionKind Kind, string Status, Guid EventId, string EventType,
    DateTimeOffset OccurredAt, DateOnly LocalDate, DateTimeOffset RecordedAt);
