using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.Ledger;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Grains;

[GenerateSerializer, Alias("tm.customer-state.v1")]
public sealed record CustomerState
{
    [Id(0)] public Dictionary<Guid, OpenRental> OpenRentals { get; init; } = [];

    [Id(1)] public decimal UnpaidLateFees { get; set; }

    /// <summary>Recently closed rentals, so a repeated close or a late reservation retry changes nothing.</summary>
    [Id(2)] public List<Guid> RecentlyClosed { get; init; } = [];
}

/// <summary>
/// A customer's standing across the chain. Not reentrant: reservations from several stores are taken one at a
/// time, which is what keeps the rental limit exact under concurrency.
/// </summary>
public sealed class CustomerGrain(
    [PersistentState("customer", StorageNames.Ledger)] IPersistentState<CustomerState> state,
    MasterDataReader masterDataReader,
    IOptions<LedgerOptions> options) : Grain, ICustomerGrain
{
    private const int ClosedMemory = 200;
    private CustomerRecord? _customer;
    private string? _customerKey;

    private int CustomerId => (int)this.GetPrimaryKeyLong();

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _customer = await masterDataReader.LoadCustomerAsync(CustomerId, cancellationToken);
        if (_customer is not null)
        {
            _customerKey = CustomerKeys.Compute(_customer.Cpf, options.Value.CustomerKeySecretBytes());
        }
    }

    public Task<CustomerProfile> GetProfileAsync() =>
        Task.FromResult(new CustomerProfile(CustomerId, _customer is not null, _customer?.Active ?? false, _customerKey));

    public Task<CustomerAccount?> GetAccountAsync() => Task.FromResult(_customer is null
        ? null
        : new CustomerAccount(CustomerId, _customer.Active, [.. state.State.OpenRentals.Values.OrderBy(r => r.StartedAt)],
            state.State.UnpaidLateFees, options.Value.RentalLimit));

    public async Task<Refusal?> ReserveRentalAsync(RentalReservation reservation)
    {
        if (_customer is null) return new Refusal(RefusalCodes.CustomerUnknown, $"Customer {CustomerId} does not exist.");
        if (!_customer.Active) return new Refusal(RefusalCodes.CustomerInactive, $"Customer {CustomerId} is no longer active.");
        var s = state.State;
        if (s.OpenRentals.ContainsKey(reservation.RentalId) || s.RecentlyClosed.Contains(reservation.RentalId)) return null;
        if (s.UnpaidLateFees > options.Value.BlockRentalsAboveUnpaidFees)
        {
            return new Refusal(RefusalCodes.CustomerBlockedUnpaidFees,
                $"Customer {CustomerId} owes R$ {s.UnpaidLateFees:0.00} in late fees; new rentals wait until they are paid.");
        }
        var open = s.OpenRentals.Values.Sum(r => r.Copies);
        if (open + reservation.Copies > options.Value.RentalLimit)
        {
            return new Refusal(RefusalCodes.RentalLimitExceeded,
                $"Customer {CustomerId} has {open} copies out; the limit is {options.Value.RentalLimit}.");
        }
        s.OpenRentals[reservation.RentalId] = new OpenRental(reservation.RentalId, reservation.StoreId, reservation.Copies, reservation.StartedAt, reservation.DueDate);
        await state.WriteStateAsync();
        return null;
    }

    public async Task CancelRentalAsync(Guid rentalId)
    {
        if (state.State.OpenRentals.Remove(rentalId)) await state.WriteStateAsync();
    }

    public async Task CloseRentalAsync(Guid rentalId, decimal unpaidLateFee)
    {
        var s = state.State;
        if (s.RecentlyClosed.Contains(rentalId)) return;
        s.OpenRentals.Remove(rentalId);
        s.UnpaidLateFees += unpaidLateFee;
        s.RecentlyClosed.Add(rentalId);
        if (s.RecentlyClosed.Count > ClosedMemory) s.RecentlyClosed.RemoveRange(0, s.RecentlyClosed.Count - ClosedMemory);
        await state.WriteStateAsync();
    }
}
