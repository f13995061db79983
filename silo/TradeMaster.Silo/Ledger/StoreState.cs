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

/// <summary>A late fee one of this store's returns left owed: who owes it, and the return as recorded.</summary>
public sealed record OwedLateFee(int CustomerId, ReturnInfo Return);

/// <summary>
/// A transaction applied to the store's memory and committed to the journal (the history tables) with its batch.
/// Lives only in memory: once committed, the history row holds it (and its event until the transport acknowledges).
/// </summary>
public sealed record JournalEntry(
    long Sequence,
    Guid TransactionId,
    string Fingerprint,
    TransactionOutcome Outcome,
    string EventType,
    byte[] EventJson,
    int? EmployeeId,
    int? CustomerId,
    DateOnly LocalDate)
{
    /// <summary>
    /// An accepted return or late fee payment: the customer's account must close the rental (and owe its fee), or
    /// forget the fee, once committed.
    /// </summary>
    public bool CustomerPending => Outcome.Receipt?.Return is not null;
}

/// <summary>
/// The store grain's checkpoint (one row in OrleansStorage): stock and open rentals as of journal entry
/// <see cref="Sequence"/>. An activation loads it and replays the journal after it; it is written every
/// Ledger:CheckpointInterval, never on the answer path.
/// </summary>
[GenerateSerializer, Alias("tm.store-state.v1")]
public sealed record StoreState
{
    [Id(0)] public bool Initialized { get; init; }

    [Id(1)] public Dictionary<int, StockEntry> Stock { get; init; } = [];

    [Id(2)] public Dictionary<Guid, OpenRentalEntry> OpenRentals { get; init; } = [];

    // Id 3 (the outbox, before the journal) is retired: an old row's outbox is skipped when read.

    /// <summary>The store_seq of the last journal entry this checkpoint includes.</summary>
    [Id(4)] public long Sequence { get; init; }
}
