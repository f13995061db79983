using Orleans.Concurrency;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Contracts.Grains;

/// <summary>
/// One store's ledger: its stock, its open rentals, the transactions it accepted or refused and their events.
/// Keyed by the store id.
/// </summary>
public interface IStoreGrain : IGrainWithIntegerKey
{
    Task<TransactionOutcome> SellAsync(SaleCommand command);

    Task<TransactionOutcome> RentAsync(RentalCommand command);

    Task<TransactionOutcome> ReturnAsync(ReturnCommand command);

    Task<TransactionOutcome> PayLateFeeAsync(LateFeePaymentCommand command);

    [AlwaysInterleave]
    Task<StockLevel?> GetStockAsync(int itemId);

    /// <summary>Whether this store recorded the rental (open, or already returned).</summary>
    [AlwaysInterleave]
    Task<bool> HasRentalAsync(Guid rentalId);

    /// <summary>Events accepted but not yet acknowledged by every destination (history tables, transport).</summary>
    [AlwaysInterleave]
    Task<int> GetPendingEventCountAsync();
}
