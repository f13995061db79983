using System.Collections.Immutable;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Contracts.Grains;

/// <summary>Live stock of one item at one store, as the store's ledger sees it now.</summary>
[GenerateSerializer, Immutable, Alias("tm.stock-level.v1")]
public sealed record StockLevel(
    [property: Id(0)] int StoreId,
    [property: Id(1)] int ItemId,
    [property: Id(2)] int CopiesForSale,
    [property: Id(3)] int RentalCopiesOwned,
    [property: Id(4)] int RentalCopiesOut)
{
    public int RentalCopiesAvailable => RentalCopiesOwned - RentalCopiesOut;
}

[GenerateSerializer, Immutable, Alias("tm.item-details.v1")]
public sealed record ItemDetails(
    [property: Id(0)] int ItemId,
    [property: Id(1)] string Title,
    [property: Id(2)] MediaType MediaType,
    [property: Id(3)] string Genre,
    [property: Id(4)] string? Ean,
    [property: Id(5)] string? Isbn,
    [property: Id(6)] decimal SalePrice,
    [property: Id(7)] decimal DailyRentalPrice,
    [property: Id(8)] bool Sellable,
    [property: Id(9)] bool Rentable,
    [property: Id(10)] bool Active,
    [property: Id(11)] int? ReleaseYear,
    [property: Id(12)] string? Creator);

[GenerateSerializer, Immutable, Alias("tm.item-availability.v1")]
public sealed record ItemAvailability(
    [property: Id(0)] int ItemId,
    [property: Id(1)] ImmutableArray<StockLevel> Stores);

[GenerateSerializer, Immutable, Alias("tm.open-rental.v1")]
public sealed record OpenRental(
    [property: Id(0)] Guid RentalId,
    [property: Id(1)] int StoreId,
    [property: Id(2)] int Copies,
    [property: Id(3)] DateTimeOffset StartedAt,
    [property: Id(4)] DateOnly DueDate);

/// <summary>A late fee a return left owed: paid with a late fee payment at <see cref="StoreId"/>, naming <see cref="RentalId"/>.</summary>
[GenerateSerializer, Immutable, Alias("tm.unpaid-late-fee.v1")]
public sealed record UnpaidLateFee(
    [property: Id(0)] Guid RentalId,
    [property: Id(1)] int StoreId,
    [property: Id(2)] decimal LateFee);

[GenerateSerializer, Immutable, Alias("tm.customer-account.v1")]
public sealed record CustomerAccount(
    [property: Id(0)] int CustomerId,
    [property: Id(1)] bool Active,
    [property: Id(2)] ImmutableArray<OpenRental> OpenRentals,
    [property: Id(3)] decimal UnpaidLateFees,
    [property: Id(4)] int RentalLimit,
    [property: Id(5)] ImmutableArray<UnpaidLateFee> UnpaidFees)
{
    public int OpenCopies => OpenRentals.Sum(r => r.Copies);
}

/// <summary>What a store grain tells a customer grain when it wants to open a rental.</summary>
[GenerateSerializer, Immutable, Alias("tm.rental-reservation.v1")]
public sealed record RentalReservation(
    [property: Id(0)] Guid RentalId,
    [property: Id(1)] int StoreId,
    [property: Id(2)] int Copies,
    [property: Id(3)] DateTimeOffset StartedAt,
    [property: Id(4)] DateOnly DueDate);

/// <summary>What a customer grain knows about a customer that a store needs to record a transaction.</summary>
[GenerateSerializer, Immutable, Alias("tm.customer-profile.v1")]
public sealed record CustomerProfile(
    [property: Id(0)] int CustomerId,
    [property: Id(1)] bool Exists,
    [property: Id(2)] bool Active,
    [property: Id(3)] string? CustomerKey);
