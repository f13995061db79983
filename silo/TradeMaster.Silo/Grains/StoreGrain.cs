using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Concurrency;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.History;
using TradeMaster.Silo.Ledger;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Grains;

/// <summary>
/// One store's ledger.
/// <para>
/// Group commit: every transaction is checked and applied to the in-memory state inside one synchronous turn
/// (no await between reading stock and changing it, so two calls can never both take the last copy); then the
/// caller waits for the next state write, which carries every transaction applied since the previous one. One
/// PostgreSQL write per batch instead of per transaction, and nobody is answered before their transaction is
/// durable. That is why the grain is <see cref="ReentrantAttribute"/>: a non-reentrant grain would hold every
/// caller behind the write of the one before it.
/// </para>
/// <para>
/// Outbox: the transaction's event is part of that same write. A delivery loop hands it to the history tables
/// (and, for returns, to the customer's account) with retries and then drops it from the grain state. The history
/// row keeps the event until the transport acknowledges it (<c>published_at</c>), so a broker outage grows a table,
/// never the state this grain writes per batch. Publishing never delays an answer.
/// </para>
/// </summary>
[Reentrant]
public sealed partial class StoreGrain(
    [PersistentState("store", StorageNames.Ledger)] IPersistentState<StoreState> state,
    MasterDataCache masterData,
    MasterDataReader masterDataReader,
    LedgerHistory history,
    IEventPublisher publisher,
    IOptions<LedgerOptions> options,
    TimeProvider time,
    ILogger<StoreGrain> logger) : Grain, IStoreGrain
{
    private static readonly TimeSpan FutureSkew = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan CustomerProfileTtl = TimeSpan.FromMinutes(1);

    private readonly LedgerOptions _options = options.Value;
    private readonly RecentAnswers _answers = new(options.Value.RecentAnswersPerStore);
    private readonly Dictionary<int, int> _held = [];
    private readonly Dictionary<int, (CustomerProfile Profile, DateTimeOffset At)> _customers = [];

    private Dictionary<int, StockEntry> _stock = [];
    private Dictionary<Guid, OpenRentalEntry> _openRentals = [];
    private List<OutboxEntry> _outbox = [];
    private StoreRecord? _store;
    private int StoreId => (int)this.GetPrimaryKeyLong();

    // Group commit.
    private TaskCompletionSource? _nextFlush;
    private List<Guid> _unflushedRentals = [];
    private int _unflushedCount;
    private bool _flushing;
    private Exception? _broken;

    // Idempotency look-ups of ids this activation has not seen, batched like the writes.
    private Dictionary<Guid, TaskCompletionSource<RememberedTransaction?>> _pendingLookups = [];
    private bool _lookingUp;

    // Outbox delivery (to history) and the transport relay fed from it.
    private const int UnpublishedInMemory = 20_000;
    private readonly List<OutgoingEvent> _unpublished = [];
    private readonly HashSet<string> _unpublishedIds = [];
    private bool _delivering;
    private int _deliveryFailures;
    private bool _publishing;
    private int _publishFailures;
    private bool _reloadUnpublished = true; // whatever a previous activation left unacknowledged is in PostgreSQL

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var snapshot = await masterData.GetAsync(cancellationToken);
        _store = snapshot.Stores.GetValueOrDefault(StoreId);
        if (_store is null) return;

        var persisted = state.State;
        if (!persisted.Initialized)
        {
            // First activation ever: the opening stock comes from the relational model.
            persisted = new StoreState { Initialized = true, Stock = await masterDataReader.LoadStockAsync(StoreId, cancellationToken) };
            state.State = persisted;
        }
        _stock = new Dictionary<int, StockEntry>(persisted.Stock);
        _openRentals = new Dictionary<Guid, OpenRentalEntry>(persisted.OpenRentals);
        _outbox = [.. persisted.Outbox];
        foreach (var entry in _outbox)
        {
            entry.Durable = true;
            _answers.AddCompleted(entry.TransactionId, entry.Fingerprint, entry.Outcome);
        }

        this.RegisterGrainTimer(_ => { KickDelivery(); KickPublishing(); return Task.CompletedTask; }, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(5),
            Period = TimeSpan.FromSeconds(5),
            Interleave = true,
            KeepAlive = false,
        });
        KickDelivery();
        KickPublishing();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_broken is null && _outbox.Count > 0 && !_flushing)
        {
            // Persist the outbox clean-up of the last deliveries; whatever is still pending stays in state and
            // is delivered by the next activation.
            try { await FlushAsync(); } catch (Exception e) when (e is not OperationCanceledException) { LogFlushFailed(logger, e, StoreId); }
        }
    }

    public Task<TransactionOutcome> SellAsync(SaleCommand command)
    {
        var fingerprint = Fingerprint.Of(StoreId, command);
        return SubmitAsync(command.TransactionId, fingerprint, TransactionKind.Sale, () => ApplySaleAsync(command, fingerprint));
    }

    public Task<TransactionOutcome> RentAsync(RentalCommand command)
    {
        var fingerprint = Fingerprint.Of(StoreId, command);
        return SubmitAsync(command.TransactionId, fingerprint, TransactionKind.Rental, () => ApplyRentalAsync(command, fingerprint));
    }

    public Task<TransactionOutcome> ReturnAsync(ReturnCommand command)
    {
        var fingerprint = Fingerprint.Of(StoreId, command);
        return SubmitAsync(command.TransactionId, fingerprint, TransactionKind.Return, () => ApplyReturnAsync(command, fingerprint));
    }

    public Task<StockLevel?> GetStockAsync(int itemId)
    {
        if (_store is null) return Task.FromResult<StockLevel?>(null);
        var entry = _stock.GetValueOrDefault(itemId) ?? new StockEntry(0, 0, 0);
        return Task.FromResult<StockLevel?>(new StockLevel(StoreId, itemId, entry.CopiesForSale, entry.RentalCopiesOwned, entry.RentalCopiesOut));
    }

    public async Task<bool> HasRentalAsync(Guid rentalId) =>
        _openRentals.ContainsKey(rentalId) || ReturnInOutbox(rentalId) || await history.RentalStatusAsync(StoreId, rentalId) is not null;

    /// <summary>A return recorded but not yet in the history tables (afterwards, history says the rental is closed).</summary>
    private bool ReturnInOutbox(Guid rentalId) => _outbox.Exists(e => e.Outcome.Receipt?.Return?.RentalId == rentalId);

    public async Task<int> GetPendingEventCountAsync()
    {
        var unpublished = _reloadUnpublished ? (int)await history.CountUnpublishedAsync(StoreId) : _unpublished.Count;
        return _outbox.Count(e => !e.Done) + unpublished;
    }

    private async Task<TransactionOutcome> SubmitAsync(Guid transactionId, string fingerprint, TransactionKind kind, Func<Task<TransactionOutcome>> apply)
    {
        if (_broken is not null)
        {
            throw new LedgerUnavailableException($"Store {StoreId}'s ledger is restarting after a failed write; retry.", _broken);
        }
        if (_answers.TryGet(transactionId, out var known))
        {
            return known.Fingerprint == fingerprint ? await known.Outcome : Conflict(transactionId, kind);
        }

        var remembered = await LookupAsync(transactionId);
        if (_answers.TryGet(transactionId, out known))
        {
            // A concurrent duplicate registered itself while we were asking PostgreSQL.
            return known.Fingerprint == fingerprint ? await known.Outcome : Conflict(transactionId, kind);
        }
        if (remembered is not null)
        {
            if (remembered.StoreId != StoreId || remembered.Fingerprint != fingerprint) return Conflict(transactionId, kind);
            _answers.AddCompleted(transactionId, remembered.Fingerprint, remembered.Outcome);
            return remembered.Outcome;
        }

        var pending = new TaskCompletionSource<TransactionOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _answers.AddPending(transactionId, fingerprint, pending.Task);
        try
        {
            var outcome = await apply();
            pending.SetResult(outcome);
            return outcome;
        }
        catch (Exception e)
        {
            // Nothing was recorded: forget the id so a retry is processed afresh.
            _answers.Remove(transactionId);
            pending.SetException(e);
            _ = pending.Task.Exception; // observed here; duplicates awaiting it get the same fault
            throw;
        }
    }

    private TransactionOutcome Conflict(Guid transactionId, TransactionKind kind) => new(
        transactionId, kind, StoreId, Receipt: null,
        new Refusal(RefusalCodes.TransactionIdConflict, $"Transaction {transactionId} was already used for a different request."),
        EventId: null, time.GetUtcNow());

    private async Task<TransactionOutcome> ApplySaleAsync(SaleCommand command, string fingerprint)
    {
        var now = time.GetUtcNow();
        var tx = new Attempt(command.TransactionId, fingerprint, TransactionKind.Sale, now, command.EmployeeId, command.CustomerId, command.Lines);
        if (await CheckCommonAsync(tx, command.Payment) is { } common) return common;
        var snapshot = await masterData.GetAsync();
        string? customerKey = null;
        if (command.CustomerId is { } customerId)
        {
            var profile = await GetCustomerProfileAsync(customerId);
            if (CheckCustomer(profile, customerId) is { } refusal) return await RefuseAsync(tx, refusal);
            customerKey = profile.CustomerKey;
            tx = tx with { CustomerKey = customerKey };
        }
        var (lines, priceRefusal) = LedgerRules.PriceSale(command.Lines, snapshot.Items, _options);
        if (priceRefusal is not null) return await RefuseAsync(tx, priceRefusal);

        // From here to CommitAsync: no await, so stock cannot change between the check and the update.
        var copies = LedgerRules.CopiesPerItem(command.Lines);
        if (LedgerRules.CheckSaleStock(copies, _stock) is { } stockRefusal) return await RefuseAsync(tx, stockRefusal);
        foreach (var (itemId, quantity) in copies)
        {
            var entry = _stock[itemId];
            _stock[itemId] = entry with { CopiesForSale = entry.CopiesForSale - quantity };
        }
        var total = lines.Sum(l => l.LineTotal);
        var receipt = new Receipt(command.TransactionId, TransactionKind.Sale, StoreId, command.EmployeeId, command.CustomerId, now,
            _store!.LocalDate(now), lines, total, LedgerRules.Pay(command.Payment, total), Rental: null, Return: null,
            EventIds.For(StoreId, command.TransactionId, TransactionKind.Sale, accepted: true));
        return await CommitAsync(tx, receipt, snapshot.Employees[command.EmployeeId], customerKey, customerSettled: true);
    }

    private async Task<TransactionOutcome> ApplyRentalAsync(RentalCommand command, string fingerprint)
    {
        var now = time.GetUtcNow();
        var tx = new Attempt(command.TransactionId, fingerprint, TransactionKind.Rental, now, command.EmployeeId, command.CustomerId, command.Lines)
        {
            RentalId = command.TransactionId,
            Days = command.Days,
        };
        if (await CheckCommonAsync(tx, command.Payment) is { } common) return common;
        var profile = await GetCustomerProfileAsync(command.CustomerId);
        tx = tx with { CustomerKey = profile.CustomerKey };
        if (CheckCustomer(profile, command.CustomerId) is { } customerRefusal) return await RefuseAsync(tx, customerRefusal);
        if (LedgerRules.CheckRentalDays(command.Days, _options) is { } daysRefusal) return await RefuseAsync(tx, daysRefusal);
        var startedAt = command.StartedAt?.ToUniversalTime() ?? now;
        if (startedAt > now + FutureSkew || startedAt < now - _options.MaxBackdate)
        {
            return await RefuseAsync(tx, new Refusal(RefusalCodes.RentalStartOutOfRange,
                $"A rental may be keyed in up to {_options.MaxBackdate.TotalDays:0} days after it started, never before."));
        }
        var snapshot = await masterData.GetAsync();
        var (lines, priceRefusal) = LedgerRules.PriceRental(command.Lines, command.Days, snapshot.Items);
        if (priceRefusal is not null) return await RefuseAsync(tx, priceRefusal);

        var copies = LedgerRules.CopiesPerItem(command.Lines);
        if (LedgerRules.CheckRentalStock(copies, _stock, _held) is { } stockRefusal) return await RefuseAsync(tx, stockRefusal);

        // Hold the copies while the customer's account (another grain, maybe on another silo) takes the rental
        // against the chain-wide limit; concurrent rentals here see them as taken.
        var startDate = _store!.LocalDate(startedAt);
        var dueDate = startDate.AddDays(command.Days);
        Hold(copies, +1);
        Refusal? limitRefusal;
        try
        {
            limitRefusal = await GrainFactory.GetGrain<ICustomerGrain>(command.CustomerId).ReserveRentalAsync(
                new RentalReservation(command.TransactionId, StoreId, copies.Values.Sum(), startedAt, dueDate));
        }
        finally
        {
            Hold(copies, -1);
        }
        if (limitRefusal is not null) return await RefuseAsync(tx, limitRefusal);

        foreach (var (itemId, quantity) in copies)
        {
            var entry = _stock[itemId];
            _stock[itemId] = entry with { RentalCopiesOut = entry.RentalCopiesOut + quantity };
        }
        _openRentals[command.TransactionId] = new OpenRentalEntry(command.TransactionId, command.CustomerId, startedAt, startDate, dueDate,
            [.. lines.Select(l => new RentalLineEntry(l.ItemId, l.Quantity, l.DailyPrice ?? 0m, l.Title, l.MediaType, l.Genre))],
            profile.CustomerKey);
        _unflushedRentals.Add(command.TransactionId);
        var total = lines.Sum(l => l.LineTotal);
        var receipt = new Receipt(command.TransactionId, TransactionKind.Rental, StoreId, command.EmployeeId, command.CustomerId, startedAt,
            startDate, lines, total, LedgerRules.Pay(command.Payment, total),
            new RentalTerms(command.TransactionId, command.Days, startDate, dueDate), Return: null,
            EventIds.For(StoreId, command.TransactionId, TransactionKind.Rental, accepted: true));
        return await CommitAsync(tx, receipt, snapshot.Employees[command.EmployeeId], profile.CustomerKey, customerSettled: false);
    }

    private async Task<TransactionOutcome> ApplyReturnAsync(ReturnCommand command, string fingerprint)
    {
        var now = time.GetUtcNow();
        var tx = new Attempt(command.TransactionId, fingerprint, TransactionKind.Return, now, command.EmployeeId, null, [])
        {
            RentalId = command.RentalId,
        };
        if (await CheckCommonAsync(tx, command.Payment) is { } common) return common;
        if (!_openRentals.ContainsKey(command.RentalId))
        {
            var closed = ReturnInOutbox(command.RentalId) || await history.RentalStatusAsync(StoreId, command.RentalId) == "closed";
            if (!_openRentals.ContainsKey(command.RentalId))
            {
                return await RefuseAsync(tx, closed
                    ? new Refusal(RefusalCodes.RentalAlreadyClosed, $"Rental {command.RentalId} was already returned.")
                    : new Refusal(RefusalCodes.RentalUnknown, $"Store {StoreId} has no rental {command.RentalId}."));
            }
        }

        var rental = _openRentals[command.RentalId];
        tx = tx with { CustomerId = rental.CustomerId, CustomerKey = rental.CustomerKey, Lines = [.. rental.Lines.Select(l => new LineRequest(l.ItemId, l.Quantity))] };
        var returnedAt = command.ReturnedAt?.ToUniversalTime() ?? now; // a till may send its local offset; the ledger keeps UTC
        if (returnedAt < rental.StartedAt)
        {
            return await RefuseAsync(tx, new Refusal(RefusalCodes.ReturnBeforeRentalStart, "A rental cannot come back before it started."));
        }
        if (returnedAt > now + FutureSkew)
        {
            return await RefuseAsync(tx, new Refusal(RefusalCodes.ReturnDateInFuture, "The return time is in the future."));
        }

        var snapshot = await masterData.GetAsync();

        // From here to CommitAsync: no await, so the flush that persists the stock also holds the outbox entry.
        var returnedOn = _store!.LocalDate(returnedAt);
        var lateDays = LedgerRules.LateDays(rental.DueDate, returnedOn, _options.LateFee);
        var fee = LedgerRules.LateFee(lateDays, rental.Lines, _options.LateFee);
        var lines = LedgerRules.ReturnLines(rental.Lines, lateDays, fee, _options.LateFee);
        var paid = fee > 0 && command.Payment is not null;
        foreach (var line in rental.Lines)
        {
            var entry = _stock[line.ItemId];
            _stock[line.ItemId] = entry with { RentalCopiesOut = entry.RentalCopiesOut - line.Quantity };
        }
        _openRentals.Remove(command.RentalId);
        var receipt = new Receipt(command.TransactionId, TransactionKind.Return, StoreId, command.EmployeeId, rental.CustomerId, now,
            _store.LocalDate(now), lines, fee, paid ? LedgerRules.Pay(command.Payment!, fee) : null, Rental: null,
            new ReturnInfo(command.RentalId, rental.StartedAt, rental.DueDate, returnedAt, lateDays, fee, paid),
            EventIds.For(StoreId, command.TransactionId, TransactionKind.Return, accepted: true));
        return await CommitAsync(tx, receipt, snapshot.Employees[command.EmployeeId], rental.CustomerKey, customerSettled: false);
    }

    /// <summary>Store, employee, line shape and payment: what every transaction kind checks first.</summary>
    private async Task<TransactionOutcome?> CheckCommonAsync(Attempt tx, PaymentRequest? payment)
    {
        if (_store is null)
        {
            // Nothing to attribute the attempt to, so it is answered but neither recorded nor published.
            return new TransactionOutcome(tx.TransactionId, tx.Kind, StoreId, null,
                new Refusal(RefusalCodes.StoreUnknown, $"Store {StoreId} does not exist."), null, tx.At);
        }
        if (!_store.Active) return await RefuseAsync(tx, new Refusal(RefusalCodes.StoreInactive, $"Store {StoreId} is closed."));
        var snapshot = await masterData.GetAsync();
        var employee = snapshot.Employees.GetValueOrDefault(tx.EmployeeId);
        if (LedgerRules.CheckEmployee(employee, tx.EmployeeId, StoreId) is { } employeeRefusal) return await RefuseAsync(tx, employeeRefusal);
        if (tx.Kind != TransactionKind.Return && LedgerRules.CheckShape(tx.Lines, _options) is { } shapeRefusal) return await RefuseAsync(tx, shapeRefusal);
        if (payment is not null && LedgerRules.CheckPayment(payment) is { } paymentRefusal) return await RefuseAsync(tx, paymentRefusal);
        return null;
    }

    private static Refusal? CheckCustomer(CustomerProfile profile, int customerId) => profile switch
    {
        { Exists: false } => new Refusal(RefusalCodes.CustomerUnknown, $"Customer {customerId} does not exist."),
        { Active: false } => new Refusal(RefusalCodes.CustomerInactive, $"Customer {customerId} is no longer active."),
        _ => null,
    };

    private async Task<CustomerProfile> GetCustomerProfileAsync(int customerId)
    {
        if (_customers.TryGetValue(customerId, out var cached) && time.GetUtcNow() - cached.At < CustomerProfileTtl) return cached.Profile;
        var profile = await GrainFactory.GetGrain<ICustomerGrain>(customerId).GetProfileAsync();
        if (_customers.Count > 10_000) _customers.Clear();
        _customers[customerId] = (profile, time.GetUtcNow());
        return profile;
    }

    private void Hold(Dictionary<int, int> copies, int sign)
    {
        foreach (var (itemId, quantity) in copies)
        {
            var held = _held.GetValueOrDefault(itemId) + (sign * quantity);
            if (held == 0) _held.Remove(itemId); else _held[itemId] = held;
        }
    }

    private async Task<TransactionOutcome> RefuseAsync(Attempt tx, Refusal refusal)
    {
        var snapshot = await masterData.GetAsync();
        var eventId = EventIds.For(StoreId, tx.TransactionId, tx.Kind, accepted: false);
        var employee = snapshot.Employees.GetValueOrDefault(tx.EmployeeId) is { } e && e.StoreId == StoreId ? e : null;
        var outcome = new TransactionOutcome(tx.TransactionId, tx.Kind, StoreId, null, refusal, eventId, tx.At);
        var (type, json) = EventFactory.Refused(eventId, tx.TransactionId, tx.Kind, tx.At, _store!, employee, tx.CustomerKey, refusal,
            tx.Lines, snapshot.Items, tx.RentalId, tx.Days);
        var entry = new OutboxEntry(tx.TransactionId, tx.Fingerprint, outcome, type, json, employee?.EmployeeId, tx.CustomerId,
            _store!.LocalDate(tx.At))
        {
            CustomerSettled = true,
        };
        return await AppendAndFlushAsync(entry);
    }

    private Task<TransactionOutcome> CommitAsync(Attempt tx, Receipt receipt, EmployeeRecord employee, string? customerKey, bool customerSettled)
    {
        var outcome = new TransactionOutcome(tx.TransactionId, receipt.Kind, StoreId, receipt, null, receipt.EventId, tx.At);
        var (type, json) = EventFactory.Accepted(receipt, _store!, employee, customerKey);
        var entry = new OutboxEntry(tx.TransactionId, tx.Fingerprint, outcome, type, json, employee.EmployeeId, receipt.CustomerId,
            receipt.LocalDate)
        {
            CustomerSettled = customerSettled,
        };
        return AppendAndFlushAsync(entry);
    }

    private async Task<TransactionOutcome> AppendAndFlushAsync(OutboxEntry entry)
    {
        _outbox.Add(entry);
        _unflushedCount++;
        LedgerMetrics.Transactions.Add(1);
        await FlushAsync();
        KickDelivery();
        return entry.Outcome;
    }

    /// <summary>Completes when a state write that includes every change made before this call has succeeded.</summary>
    private Task FlushAsync()
    {
        if (_broken is not null) return Task.FromException(new LedgerUnavailableException("The store ledger is restarting; retry.", _broken));
        _nextFlush ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushed = _nextFlush.Task;
        if (!_flushing) _ = FlushLoopAsync();
        return flushed;
    }

    private async Task FlushLoopAsync()
    {
        _flushing = true;
        try
        {
            while (_nextFlush is { } flush)
            {
                _nextFlush = null;
                var included = _outbox.ToArray();
                var batchSize = _unflushedCount;
                _unflushedCount = 0;
                var rentals = _unflushedRentals;
                _unflushedRentals = [];
                state.State = new StoreState
                {
                    Initialized = true,
                    Stock = new Dictionary<int, StockEntry>(_stock),
                    OpenRentals = new Dictionary<Guid, OpenRentalEntry>(_openRentals),
                    Outbox = [.. included.Select(e => e with { })],
                };
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    await state.WriteStateAsync();
                    LedgerMetrics.FlushDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    LedgerMetrics.FlushBatchSize.Record(batchSize);
                    LedgerMetrics.OutboxSize.Record(included.Length);
                }
                catch (Exception e)
                {
                    // The memory of this activation is now ahead of PostgreSQL. Fail everyone waiting, undo the
                    // customers' rental reservations, and let a fresh activation reload the durable state.
                    _broken = e;
                    LogFlushFailed(logger, e, StoreId);
                    var next = _nextFlush;
                    _nextFlush = null;
                    flush.SetException(new LedgerUnavailableException("Recording the transaction failed; retry.", e));
                    next?.SetException(new LedgerUnavailableException("Recording the transaction failed; retry.", e));
                    foreach (var rentalId in rentals.Concat(_unflushedRentals))
                    {
                        var rental = _openRentals.GetValueOrDefault(rentalId);
                        if (rental is not null) _ = CancelReservationAsync(rental.CustomerId, rentalId);
                    }
                    DeactivateOnIdle();
                    return;
                }
                foreach (var entry in included) entry.Durable = true;
                flush.SetResult();
            }
        }
        finally
        {
            _flushing = false;
        }
    }

    private async Task CancelReservationAsync(int customerId, Guid rentalId)
    {
        try
        {
            await GrainFactory.GetGrain<ICustomerGrain>(customerId).CancelRentalAsync(rentalId);
        }
        catch (Exception e)
        {
            LogCancelFailed(logger, e, rentalId);
        }
    }

    private Task<RememberedTransaction?> LookupAsync(Guid transactionId)
    {
        if (!_pendingLookups.TryGetValue(transactionId, out var lookup))
        {
            lookup = new TaskCompletionSource<RememberedTransaction?>(TaskCreationOptions.RunContinuationsAsynchronously);
            _pendingLookups[transactionId] = lookup;
        }
        if (!_lookingUp) _ = LookupLoopAsync();
        return lookup.Task;
    }

    private async Task LookupLoopAsync()
    {
        _lookingUp = true;
        try
        {
            while (_pendingLookups.Count > 0)
            {
                var batch = _pendingLookups;
                _pendingLookups = [];
                try
                {
                    var found = await history.LookupAsync(batch.Keys);
                    foreach (var (id, waiter) in batch) waiter.SetResult(found.GetValueOrDefault(id));
                }
                catch (Exception e)
                {
                    foreach (var waiter in batch.Values) waiter.SetException(new LedgerUnavailableException("Checking the transaction id failed; retry.", e));
                }
            }
        }
        finally
        {
            _lookingUp = false;
        }
    }

    private void KickDelivery()
    {
        if (!_delivering && _broken is null && _outbox.Exists(e => e.Durable && !e.Done)) _ = DeliverLoopAsync();
    }

    private async Task DeliverLoopAsync()
    {
        _delivering = true;
        try
        {
            while (_broken is null)
            {
                var batch = _outbox.Where(e => e.Durable && !e.Done).Take(_options.OutboxBatchSize).ToList();
                if (batch.Count == 0) return;
                var started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    await DeliverAsync(batch);
                    LedgerMetrics.DeliveryDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    _deliveryFailures = 0;
                    _outbox.RemoveAll(e => e.Done);
                    _ = FlushQuietlyAsync(); // persist the clean-up (merged into the next write when one is due anyway)
                }
                catch (Exception e)
                {
                    var delay = Backoff(++_deliveryFailures);
                    LogDeliveryFailed(logger, e, StoreId, batch.Count, delay.TotalMilliseconds);
                    await WaitBeforeRetryAsync(delay);
                }
            }
        }
        finally
        {
            _delivering = false;
        }
    }

    private async Task DeliverAsync(List<OutboxEntry> batch)
    {
        var forHistory = batch.Where(e => !e.InHistory).ToList();
        if (forHistory.Count > 0)
        {
            try
            {
                await history.WriteAsync(StoreId, forHistory);
                foreach (var e in forHistory) e.InHistory = true;
            }
            catch (Exception e) when (forHistory.Count > 1 && e is not OperationCanceledException)
            {
                // One bad entry must not hold the others back: write them one by one; what still fails stays
                // in the outbox (and in the logs) and is retried with backoff.
                Exception? last = null;
                foreach (var entry in forHistory)
                {
                    try
                    {
                        await history.WriteAsync(StoreId, [entry]);
                        entry.InHistory = true;
                    }
                    catch (Exception single) when (single is not OperationCanceledException)
                    {
                        last = single;
                        LogHistoryEntryFailed(logger, single, StoreId, entry.TransactionId);
                    }
                }
                if (last is not null)
                {
                    _reloadUnpublished = true; // the ones that did get in are unpublished rows in PostgreSQL
                    throw new LedgerUnavailableException("Some outbox entries could not be written to the history tables.", last);
                }
            }
        }
        foreach (var e in forHistory.Where(e => e.InHistory))
        {
            Enqueue(new OutgoingEvent(e.Outcome.EventId!.Value.ToString("D"), e.EventType, StoreId, e.EventJson));
        }
        KickPublishing();
        foreach (var e in batch.Where(e => !e.CustomerSettled))
        {
            var receipt = e.Outcome.Receipt!;
            var customer = GrainFactory.GetGrain<ICustomerGrain>(receipt.CustomerId!.Value);
            if (receipt.Return is { } ret)
            {
                await customer.CloseRentalAsync(ret.RentalId, ret.FeePaid ? 0m : ret.LateFee);
            }
            else
            {
                await customer.ConfirmRentalAsync(receipt.TransactionId);
            }
            e.CustomerSettled = true;
        }
    }

    private void Enqueue(OutgoingEvent outgoing)
    {
        if (_unpublishedIds.Contains(outgoing.Id)) return;
        if (_unpublished.Count >= UnpublishedInMemory)
        {
            _reloadUnpublished = true; // it is in PostgreSQL; read it back once the queue has drained
            return;
        }
        _unpublished.Add(outgoing);
        _unpublishedIds.Add(outgoing.Id);
    }

    private void KickPublishing()
    {
        if (!_publishing && _broken is null && (_unpublished.Count > 0 || _reloadUnpublished)) _ = PublishLoopAsync();
    }

    /// <summary>Hands the events the history tables hold to the transport, oldest first, and records each acknowledgement.</summary>
    private async Task PublishLoopAsync()
    {
        _publishing = true;
        try
        {
            while (_broken is null)
            {
                try
                {
                    if (_reloadUnpublished && _unpublished.Count < UnpublishedInMemory)
                    {
                        // Older events first (what a previous activation left, or what did not fit in memory), so each
                        // store's events keep their order on the transport.
                        var stored = await history.LoadUnpublishedAsync(StoreId, UnpublishedInMemory);
                        _reloadUnpublished = stored.Count == UnpublishedInMemory;
                        var older = stored.Where(e => _unpublishedIds.Add(e.Id)).ToList();
                        _unpublished.InsertRange(0, older);
                    }
                    if (_unpublished.Count == 0) return;
                    var batch = _unpublished.GetRange(0, Math.Min(_unpublished.Count, _options.PublishBatchSize));
                    var started = System.Diagnostics.Stopwatch.GetTimestamp();
                    await publisher.PublishAsync(batch, CancellationToken.None);
                    await history.MarkPublishedAsync([.. batch.Select(e => Guid.Parse(e.Id))]);
                    LedgerMetrics.PublishDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                    _unpublished.RemoveRange(0, batch.Count);
                    foreach (var e in batch) _unpublishedIds.Remove(e.Id);
                    _publishFailures = 0;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // Published or not, the events stay queued: a repeat is harmless (consumers drop duplicate ids).
                    var delay = Backoff(++_publishFailures);
                    LogPublishFailed(logger, e, StoreId, _unpublished.Count, delay.TotalMilliseconds);
                    await WaitBeforeRetryAsync(delay);
                }
            }
        }
        finally
        {
            _publishing = false;
        }
    }

    /// <summary>Exponential from 200 ms, capped at <c>Ledger:OutboxMaxBackoff</c>.</summary>
    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.OutboxMaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 16))));

    /// <summary>Waits on the grain's scheduler, keeping the activation alive so the retry happens.</summary>
    private async Task WaitBeforeRetryAsync(TimeSpan delay)
    {
        DelayDeactivation(delay + TimeSpan.FromMinutes(1));
        await Task.Delay(delay, time);
    }

    private async Task FlushQuietlyAsync()
    {
        try { await FlushAsync(); }
        catch (Exception e) { LogFlushFailed(logger, e, StoreId); }
    }

    /// <summary>What a transaction attempt is about, gathered as checks learn more of it (for its event).</summary>
    private sealed record Attempt(
        Guid TransactionId, string Fingerprint, TransactionKind Kind, DateTimeOffset At, int EmployeeId, int? CustomerId, ImmutableArray<LineRequest> Lines)
    {
        public string? CustomerKey { get; init; }
        public Guid? RentalId { get; init; }
        public int? Days { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Store {StoreId}: writing the ledger state failed")]
    private static partial void LogFlushFailed(ILogger logger, Exception error, int storeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId}: delivering {Count} outbox entries failed; retrying in {DelayMs} ms")]
    private static partial void LogDeliveryFailed(ILogger logger, Exception error, int storeId, int count, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId}: publishing failed with {Count} events waiting; retrying in {DelayMs} ms")]
    private static partial void LogPublishFailed(ILogger logger, Exception error, int storeId, int count, double delayMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Store {StoreId}: transaction {TransactionId} cannot be written to the history tables")]
    private static partial void LogHistoryEntryFailed(ILogger logger, Exception error, int storeId, Guid transactionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cancelling the reservation of rental {RentalId} failed")]
    private static partial void LogCancelFailed(ILogger logger, Exception error, Guid rentalId);
}
