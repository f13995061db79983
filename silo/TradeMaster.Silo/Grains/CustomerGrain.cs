using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.History;
using TradeMaster.Silo.Ledger;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Grains;

/// <summary>
/// A customer's standing across the chain. Not reentrant: reservations from several stores are taken one at a
/// time, which is what keeps the rental limit exact under concurrency. The other calls read or change memory in one
/// synchronous step and interleave with a reservation waiting for its row (<see cref="ICustomerGrain"/>).
/// <para>
/// Nothing of it is Orleans state. A reservation is written before it is answered, as a <c>rental_reservations</c>
/// row the silo's <see cref="JournalWriter"/> merges with the stores' commits; the store's commit of the rental
/// deletes it in the same transaction that inserts the rental. Confirmations and returns change memory only,
/// because the stores' journal already holds them. An activation loads the account from the tables in one
/// snapshot: open rentals, reservations no store has committed yet, unpaid late fees of returns.
/// </para>
/// </summary>
public sealed class CustomerGrain(
    MasterDataReader masterDataReader,
    LedgerHistory history,
    JournalWriter journal,
    IOptions<LedgerOptions> options,
    TimeProvider time) : Grain, ICustomerGrain
{
    private CustomerRecord? _customer;
    private string? _customerKey;
    private readonly Dictionary<Guid, OpenRental> _open = [];
    private Dictionary<Guid, DateTimeOffset> _unconfirmed = [];
    private Dictionary<Guid, UnpaidLateFee> _unpaid = [];

    private int CustomerId => (int)this.GetPrimaryKeyLong();

    /// <summary>What the customer owes: a customer has a few fees owed at most, so summed when asked, never kept apart.</summary>
    private decimal UnpaidLateFees => _unpaid.Values.Sum(u => u.LateFee);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _customer = await masterDataReader.LoadCustomerAsync(CustomerId, cancellationToken);
        if (_customer is null) return;
        _customerKey = CustomerKeys.Compute(_customer.Cpf, options.Value.CustomerKeySecretBytes());
        var records = await history.LoadCustomerAsync(CustomerId, cancellationToken);
        foreach (var rental in records.Open) _open[rental.RentalId] = rental;
        _unconfirmed = records.Reserved;
        _unpaid = records.Unpaid;
    }

    public Task<CustomerProfile> GetProfileAsync() =>
        Task.FromResult(new CustomerProfile(CustomerId, _customer is not null, _customer?.Active ?? false, _customerKey));

    public Task<CustomerAccount?> GetAccountAsync() => Task.FromResult(_customer is null
        ? null
        : new CustomerAccount(CustomerId, _customer.Active, [.. _open.Values.OrderBy(r => r.StartedAt)],
            UnpaidLateFees, options.Value.RentalLimit, [.. _unpaid.Values.OrderBy(u => u.StoreId).ThenBy(u => u.RentalId)]));

    public async Task<Refusal?> ReserveRentalAsync(RentalReservation reservation)
    {
        if (_customer is null) return new Refusal(RefusalCodes.CustomerUnknown, $"Customer {CustomerId} does not exist.");
        if (!_customer.Active) return new Refusal(RefusalCodes.CustomerInactive, $"Customer {CustomerId} is no longer active.");
        if (_open.ContainsKey(reservation.RentalId)) return null; // a retry of a reservation already taken
        await ReleaseAbandonedReservationsAsync();
        if (UnpaidLateFees is var owed && owed > options.Value.BlockRentalsAboveUnpaidFees)
        {
            return new Refusal(RefusalCodes.CustomerBlockedUnpaidFees,
                $"Customer {CustomerId} owes R$ {owed:0.00} in late fees; new rentals wait until they are paid.");
        }
        var open = _open.Values.Sum(r => r.Copies);
        if (open + reservation.Copies > options.Value.RentalLimit)
        {
            return new Refusal(RefusalCodes.RentalLimitExceeded,
                $"Customer {CustomerId} has {open} copies out; the limit is {options.Value.RentalLimit}.");
        }
        var now = time.GetUtcNow();
        _open[reservation.RentalId] = new OpenRental(reservation.RentalId, reservation.StoreId, reservation.Copies, reservation.StartedAt, reservation.DueDate);
        _unconfirmed[reservation.RentalId] = now;
        try
        {
            await journal.ReserveAsync(new ReservationRow(reservation.RentalId, CustomerId, reservation.StoreId, reservation.Copies,
                reservation.StartedAt, reservation.DueDate, now));
        }
        catch
        {
            // Not durable, so not taken: the store does not record the rental either.
            _open.Remove(reservation.RentalId);
            _unconfirmed.Remove(reservation.RentalId);
            throw;
        }
        return null;
    }

    /// <summary>
    /// The store committed the rental (and deleted its reservation row in the same transaction). Memory only: a
    /// confirmation lost to a restart costs one question to the store after Ledger:ReservationTimeout, never a
    /// wrong limit.
    /// </summary>
    public Task ConfirmRentalAsync(Guid rentalId)
    {
        _unconfirmed.Remove(rentalId);
        return Task.CompletedTask;
    }

    /// <summary>
    /// A store that crashed between taking a reservation and recording its rental never confirms it: after
    /// Ledger:ReservationTimeout, ask the store, and give the copies back to the customer's limit if it has no such rental.
    /// </summary>
    private async Task ReleaseAbandonedReservationsAsync()
    {
        var cutoff = time.GetUtcNow() - options.Value.ReservationTimeout;
        foreach (var (rentalId, _) in _unconfirmed.Where(u => u.Value < cutoff).ToList())
        {
            var rental = _open.GetValueOrDefault(rentalId);
            if (rental is not null && !await GrainFactory.GetGrain<IStoreGrain>(rental.StoreId).HasRentalAsync(rentalId))
            {
                await history.ReleaseReservationAsync(rentalId);
                _open.Remove(rentalId);
            }
            _unconfirmed.Remove(rentalId); // released, or the store has it and only the confirmation was lost
        }
    }

    /// <summary>Memory only (see the class remarks): the store's journal holds the return.</summary>
    public Task CloseRentalAsync(Guid rentalId, decimal unpaidLateFee)
    {
        // Only an open rental closes, so its fee is owed once, however often the close is delivered (and an
        // activation that loaded the account after the return already counted it).
        if (_open.Remove(rentalId, out var rental))
        {
            _unconfirmed.Remove(rentalId);
            if (unpaidLateFee > 0) _unpaid.TryAdd(rentalId, new UnpaidLateFee(rentalId, rental.StoreId, unpaidLateFee));
        }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Memory only, like <see cref="CloseRentalAsync"/>: the store's journal holds the payment (and the return's row
    /// says paid). A payment delivered before the close it follows closes the rental with nothing owed, so the close
    /// that arrives later finds no open rental and adds no fee.
    /// </summary>
    public Task SettleLateFeeAsync(Guid rentalId)
    {
        _unpaid.Remove(rentalId);
        if (_open.Remove(rentalId)) _unconfirmed.Remove(rentalId);
        return Task.CompletedTask;
    }
}
