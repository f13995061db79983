using Orleans.Concurrency;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Contracts.Grains;

/// <summary>
/// A customer's standing across every store: open rentals against the rental limit and the late fees returns left unpaid.
/// Keyed by the customer id. Store grains call it; it asks a store back only about a reservation left provisional
/// for long (store grains are reentrant, so that call cannot deadlock).
/// <para>
/// Only reservations take turns: they are what keeps the rental limit exact, and one waits for its row to be durable.
/// Everything else reads or changes memory in one synchronous step and interleaves with a reservation's wait
/// (<see cref="AlwaysInterleaveAttribute"/>), so a profile look-up or a return's close never queues behind it.
/// </para>
/// </summary>
public interface ICustomerGrain : IGrainWithIntegerKey
{
    [AlwaysInterleave]
    Task<CustomerProfile> GetProfileAsync();

    [AlwaysInterleave]
    Task<CustomerAccount?> GetAccountAsync();

    /// <summary>Holds rental copies against the limit. Idempotent on the rental id. Null means accepted.</summary>
    Task<Refusal?> ReserveRentalAsync(RentalReservation reservation);

    /// <summary>The store committed the rental: the reservation is no longer provisional.</summary>
    [AlwaysInterleave]
    Task ConfirmRentalAsync(Guid rentalId);

    /// <summary>
    /// The store committed the rental's return: the copies leave the limit, an unpaid late fee stays owed and blocks
    /// new rentals. Idempotent on the rental id.
    /// </summary>
    [AlwaysInterleave]
    Task CloseRentalAsync(Guid rentalId, decimal unpaidLateFee);

    /// <summary>
    /// The store committed a payment of the late fee the rental's return left owed: it is owed no more. Idempotent on
    /// the rental id, and safe to receive before the close it follows (the rental is then closed with nothing owed).
    /// </summary>
    [AlwaysInterleave]
    Task SettleLateFeeAsync(Guid rentalId);
}
