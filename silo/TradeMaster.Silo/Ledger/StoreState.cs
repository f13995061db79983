using System.Collections.Immutable;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Silo.Ledger;

public static class StorageNames
{
    /// <summary>The ADO.NET grain storage of the ledger grains (PostgreSQL).</summary>
    public const string Ledger = "ledger";
}

[GenerateSerializer, Immutable, Alias("tm.stock-entry.v1")]
public sealed record StockEntry(
    [property: Id(0)] int CopiesForSale,
    [property: Id(1)] int RentalCopiesOwned,
    [property: Id(2)] int RentalCopiesOut);

[GenerateSerializer, Immutable, Alias("tm.rental-line-entry.v1")]
public sealed record RentalLineEntry(
    [property: Id(0)] int ItemId,
    [property: Id(1)] int Quantity,
    [property: Id(2)] decimal DailyPrice,
    [property: Id(3)] string Title,
    [property: Id(4)] MediaType MediaType,
    [property: Id(5)] string Genre);

/// <summary>A rental this store has out: what to take back and what to charge if it comes back late.</summary>
[GenerateSerializer, Immutable, Alias("tm.open-rental-entry.v1")]
public sealed record OpenRentalEntry(
    [property: Id(0)] Guid RentalId,
    [property: Id(1)] int CustomerId,
    [property: Id(2)] DateTimeOffset StartedAt,
    [property: Id(3)] DateOnly StartDate,
    [property: Id(4)] DateOnly DueDate,
    [property: Id(5)] ImmutableArray<RentalLineEntry> Lines,
    [property: Id(6)] string? CustomerKey);

/// <summary>
/// A transaction recorded in the same state write as its effect on stock, waiting to reach the history tables
/// and (for returns) the customer's account. Removed once both acknowledged: from then on the history row holds
/// the event, and the transport is fed from there (ledger_transactions.published_at).
/// </summary>
[GenerateSerializer, Alias("tm.outbox-entry.v1")]
public sealed record OutboxEntry(
    [property: Id(0)] Guid TransactionId,
    [property: Id(1)] string Fingerprint,
    [property: Id(2)] TransactionOutcome Outcome,
    [property: Id(3)] string EventType,
    [property: Id(4)] byte[] EventJson,
    [property: Id(5)] int? EmployeeId,
    [property: Id(6)] int? CustomerId,
    [property: Id(11)] DateOnly LocalDate) // Id 7 (requested lines) was never read and is retired
{
    [Id(8)] public bool InHistory { get; set; }

    /// <summary>True when nothing is owed to a customer account (every kind but an accepted return).</summary>
    [Id(10)] public bool CustomerSettled { get; set; }

    /// <summary>In memory only: the state write holding this entry succeeded, so it may leave the store.</summary>
    public bool Durable { get => _durable; set => _durable = value; }

    [NonSerialized] private bool _durable;

    public bool Done => InHistory && CustomerSettled;
}

/// <summary>What the store grain persists: live stock, open rentals and the outbox. One row in OrleansStorage.</summary>
[GenerateSerializer, Alias("tm.store-state.v1")]
public sealed record StoreState
{
    [Id(0)] public bool Initialized { get; init; }

    [Id(1)] public Dictionary<int, StockEntry> Stock { get; init; } = [];

    [Id(2)] public Dictionary<Guid, OpenRentalEntry> OpenRentals { get; init; } = [];

    [Id(3)] public List<OutboxEntry> Outbox { get; init; } = [];
}
