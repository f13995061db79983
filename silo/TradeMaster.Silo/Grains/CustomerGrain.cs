using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.History;
using TradeMaster.Silo.Ledger;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Grains;

[GenerateSerializer, Alias("tm.customer-state.v1")]
public sealed record CustomerState
{
    [Id(0)] public Dictionary<Guid, OpenRental> OpenRentals { get; init; } = [];

    [Id(1)] public decimal UnpaidLateFees { get; set; }

    /// <summary>Recently closed rentals, so a late reservation retry changes nothing.</summary>
    [Id(2)] public List<Guid> RecentlyClosed { get; init; } = [];

    /// <summary>Reservations the store has not confirmed yet, with when they were taken.</summary>
    [Id(3)] public Dictionary<Guid, DateTimeOffset> Unconfirmed { get; init; } = [];
}

/// <summary>
/// A customer's standing across the chain. Not reentrant: reservations from several stores are taken one at a
/// time, which is what keeps the rental limit exact under concurrency.
/// <para>
/// Only a reservation is written before it is answered: the store commits a rental only after it. Confirmations
/// and returns change memory only, because the stores' journal already holds them: the next write carries them,
/// and an activation reconciles the open rentals of its state with the history tables (a return committed but
/// never delivered here closes the rental and owes its unpaid fee).
/// </para>
/// </summary>
public sealed class CustomerGrain(
    [PersistentState("customer", StorageNames.Ledger)] IPersistentState<CustomerState> state,
    MasterDataReader masterDataReader,
    LedgerHistory history,
    IOptions<LedgerOptions> options,
    TimeProvider time) : Grain, ICustomerGrain
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
        // The state is a consistent snapshot of memory at its last write; what was returned since is in history.
        foreach (var (rentalId, unpaidFee) in await history.ReturnedRentalsAsync(state.State.OpenRentals.Keys, cancellationToken))
        {
            Close(rentalId, unpaidFee);
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
        await ReleaseAbandonedReservationsAsync();
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
        s.Unconfirmed[reservation.RentalId] = time.GetUtcNow();
        await state.WriteStateAsync();
        return null;
    }

    /// <summary>
    /// The store committed the rental. Only memory changes (the next state write carries it): a confirmation lost
    /// to a restart costs one question to the store after Ledger:ReservationTimeout, never a wrong limit.
    /// </summary>
    public Task ConfirmRentalAsync(Guid rentalId)
    {
        state.State.Unconfirmed.Remove(rentalId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A store that crashed between taking a reservation and recording its rental never confirms it: after
    /// Ledger:ReservationTimeout, ask the store, and give the copies back to the customer's limit if it has no such rental.
    /// </summary>
    private async Task ReleaseAbandonedReservationsAsync()
    {
        var s = state.State;
        var cutoff = time.GetUtcNow() - options.Value.ReservationTimeout;
        var changed = false;
        foreach (var (rentalId, since) in s.Unconfirmed.Where(u => u.Value < cutoff).ToList())
        {
            var rental = s.OpenRentals.GetValueOrDefault(rentalId);
            if (rental is null || await GrainFactory.GetGrain<IStoreGrain>(rental.StoreId).HasRentalAsync(rentalId))
            {
                s.Unconfirmed.Remove(rentalId); // the store has it: only the confirmation was lost
            }
            else
            {
                s.OpenRentals.Remove(rentalId);
                s.Unconfirmed.Remove(rentalId);
            }
            changed = true;
        }
        if (changed) await state.WriteStateAsync();
    }

    /// <summary>Memory only (see the class remarks): the store's journal holds the return.</summary>
    public Task CloseRentalAsync(Guid rentalId, decimal unpaidLateFee)
    {
        Close(rentalId, unpaidLateFee);
        return Task.CompletedTask;
    }

    /// <summary>Only an open rental closes, so its fee is owed once, however often the close is delivered.</summary>
    private void Close(Guid rentalId, decimal unpaidLateFee)
    {
        var s = state.State;
        if (!s.OpenRentals.Remove(rentalId)) return;
        s.Unconfirmed.Remove(rentalId);
        s.UnpaidLateFees += unpaidLateFee;
        s.RecentlyClosed.Add(rentalId);
        if (s.RecentlyClosed.Count > ClosedMemory) s.RecentlyClosed.RemoveRange(0, s.RecentlyClosed.Count - ClosedMemory);
    }
}
