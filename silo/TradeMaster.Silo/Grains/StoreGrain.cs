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
/// (no await between reading stock and changing it, so two calls can never both take the last copy); then it is
/// handed to the silo's <see cref="JournalWriter"/> and the caller waits for the next commit, which carries every
/// transaction applied since the previous one. The commit is one PostgreSQL statement batch into the history
/// tables — the store's journal — holding the transactions, their detail rows, their events and the stock deltas,
/// for every store of the silo with something waiting, in one database transaction. One round trip per round
/// instead of per transaction, and nobody is answered before their transaction is durable. That is why the grain
/// is <see cref="ReentrantAttribute"/>: a non-reentrant grain would hold every caller behind the commit of the one
/// before it.
/// </para>
/// <para>
/// The grain's Orleans state (ADO.NET storage) is a checkpoint of stock and open rentals as of a journal position,
/// written every <c>Ledger:CheckpointInterval</c> off the answer path; an activation loads it and replays the
/// journal after it. After each commit the batch's events go to the transport (the history row keeps each event
/// until the transport acknowledges it; <c>relay_positions</c> says how far it did) and accepted returns to the customers' accounts
/// (<c>unsettled_returns</c>), both with retries. Publishing never delays an answer.
/// </para>
/// </summary>
[Reentrant]
public sealed partial class StoreGrain(
    [PersistentState("store", StorageNames.Ledger)] IPersistentState<StoreState> state,
    MasterDataCache masterData,
    LedgerHistory history,
    JournalWriter journal,
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
    // Late fees this store's returns left owed, by rental: loaded from the tables on activation (not checkpointed).
    private Dictionary<Guid, OwedLateFee> _owedFees = [];
    private StoreRecord? _store;
    private int StoreId => (int)this.GetPrimaryKeyLong();

    // Group commit: entries applied to memory and not yet durable, in journal order; the write of the silo's journal
    // writer the last of them joined.
    private long _sequence;
    private JournalStream? _stream;
    private readonly List<JournalEntry> _uncommitted = [];
    private Task<long>? _lastWrite;
    private readonly HashSet<Guid> _returnsUncommitted = [];
    private Exception? _broken;

    // Checkpoint: the journal position the stored state includes, and when it was written; one copied from memory,
    // waiting until the journal holds its position.
    private long _checkpointed;
    private long _checkpointDueAt;
    private bool _checkpointing;
    private StoreState? _pendingCheckpoint;

    // After the commit: accepted returns owed to customer accounts, and the transport relay.
    private readonly List<Receipt> _customerPending = [];
    private bool _settling;
    // The relay: the transport acknowledged this store's events up to _publishedThrough (relay_positions); memory
    // holds every committed event after it, in journal order, up to _queuedThrough; the journal has them up to
    // _committedThrough, and what memory does not hold is read back from the journal as memory drains. Small on
    // purpose: a 10-minute soak with the sink behind filled 20,000 per store (≈ 250 MB of live heap).
    private const int UnpublishedInMemory = 4_000;
    private readonly List<(long Sequence, OutgoingEvent Event)> _unpublished = [];
    // Publish calls the transport has not acknowledged yet, oldest first: their events left _unpublished when they
    // were handed over (the transport holds them; after a failure they are read back from the journal). At most
    // the transport's MaxBatchesInFlight, and with _unpublished at most UnpublishedInMemory events.
    private readonly Queue<HandedOver> _handedOver = new();
    private int _handedOverEvents;
    private TaskCompletionSource? _publishWake;
    // Committed events not yet acknowledged that memory holds: waiting to be handed over, or out with the transport.
    private int EventsInMemory => _unpublished.Count + _handedOverEvents;
    private long _publishedThrough;
    private long _queuedThrough;
    private long _committedThrough;
    private bool _publishing;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var snapshot = await masterData.GetAsync(cancellationToken);
        _store = snapshot.Stores.GetValueOrDefault(StoreId);
        if (_store is null) return;
        _stream = journal.OpenStream(StoreId);

        var checkpoint = state.State;
        if (!checkpoint.Initialized)
        {
            // First activation ever (or a lost checkpoint): the relational tables hold the store as of its last
            // journal entry (the opening stock, before any). Checkpointed before the first commit.
            checkpoint = await history.LoadCheckpointFromTablesAsync(StoreId, snapshot.Items, cancellationToken);
            state.State = checkpoint;
            await state.WriteStateAsync(cancellationToken);
        }
        _stock = new Dictionary<int, StockEntry>(checkpoint.Stock);
        _openRentals = new Dictionary<Guid, OpenRentalEntry>(checkpoint.OpenRentals);
        _sequence = _checkpointed = checkpoint.Sequence;
        // As of the last commit; the replay below adds and removes the same rentals again, which changes nothing.
        _owedFees = await history.LoadOwedLateFeesAsync(StoreId, cancellationToken);
        foreach (var entry in await history.LoadJournalAsync(StoreId, checkpoint.Sequence, cancellationToken))
        {
            if (entry.Outcome.Receipt is { } receipt) ApplyEffects(receipt, customerKey: null);
            _answers.AddCompleted(entry.Outcome.TransactionId, entry.Fingerprint);
            _sequence = entry.Sequence;
        }
        _returnsUncommitted.Clear(); // replayed returns are committed: history says those rentals are closed
        _committedThrough = _sequence;
        _publishedThrough = _queuedThrough = await history.LoadRelayPositionAsync(StoreId, cancellationToken);
        _customerPending.AddRange(await history.LoadCustomerPendingAsync(StoreId, cancellationToken));
        ScheduleCheckpoint();

        this.RegisterGrainTimer(_ => { KickSettling(); KickPublishing(); return Task.CompletedTask; }, new GrainTimerCreationOptions
        {
            DueTime = TimeSpan.FromSeconds(5),
            Period = TimeSpan.FromSeconds(5),
            Interleave = true,
            KeepAlive = false,
        });
        KickSettling();
        KickPublishing();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_broken is null && _uncommitted.Count == 0 && !_checkpointing && _sequence > _checkpointed)
        {
            // A fresh checkpoint makes the next activation's replay short; the journal has everything anyway.
            await WriteCheckpointAsync(TakeCheckpoint());
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

    public Task<TransactionOutcome> PayLateFeeAsync(LateFeePaymentCommand command)
    {
        var fingerprint = Fingerprint.Of(StoreId, command);
        return SubmitAsync(command.TransactionId, fingerprint, TransactionKind.LateFeePayment, () => ApplyLateFeePaymentAsync(command, fingerprint));
    }

    public Task<StockLevel?> GetStockAsync(int itemId)
    {
        if (_store is null) return Task.FromResult<StockLevel?>(null);
        var entry = _stock.GetValueOrDefault(itemId) ?? new StockEntry(0, 0, 0);
        return Task.FromResult<StockLevel?>(new StockLevel(StoreId, itemId, entry.CopiesForSale, entry.RentalCopiesOwned, entry.RentalCopiesOut));
    }

    public async Task<bool> HasRentalAsync(Guid rentalId) =>
        _openRentals.ContainsKey(rentalId) || _returnsUncommitted.Contains(rentalId) || await history.RentalStatusAsync(StoreId, rentalId) is not null;

    /// <summary>Transactions not yet committed, events the transport has not acknowledged, returns not yet in a customer's account.</summary>
    public async Task<int> GetPendingEventCountAsync()
    {
        var unpublished = _queuedThrough == _committedThrough
            ? EventsInMemory
            : (int)await history.CountEventsAfterAsync(StoreId, _publishedThrough);
        return _uncommitted.Count + unpublished + _customerPending.Count;
    }

    private async Task<TransactionOutcome> SubmitAsync(Guid transactionId, string fingerprint, TransactionKind kind, Func<Task<TransactionOutcome>> apply)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            if (_broken is not null)
            {
                throw new LedgerUnavailableException($"Store {StoreId}'s ledger is restarting after a failed write; retry.", _broken);
            }
            var compact = RecentAnswers.Compact(fingerprint);
            for (var attempt = 0; ; attempt++)
            {
                var seen = _answers.TryGet(transactionId, out var known);
                if (seen)
                {
                    if (known.Fingerprint != compact) return Conflict(transactionId, kind);
                    if (known.Pending is { } answer) return await answer; // a duplicate still being written waits for it
                }

                // An id this activation never saw, or one whose answer is only in the journal now.
                var remembered = await LookupAsync(transactionId);
                if (remembered is not null)
                {
                    if (remembered.StoreId != StoreId || remembered.Fingerprint != fingerprint) return Conflict(transactionId, kind);
                    _answers.AddCompleted(transactionId, remembered.Fingerprint);
                    return remembered.Outcome;
                }
                // A concurrent duplicate registered itself while we were asking PostgreSQL: wait for it, or ask again
                // if it is already durable. (Seen before and still not in the journal: an answer that is never
                // recorded, such as an unknown store; it is simply given again.)
                if (!seen && attempt == 0 && _answers.TryGet(transactionId, out _)) continue;
                break;
            }

            var pending = new TaskCompletionSource<TransactionOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
            _answers.AddPending(transactionId, fingerprint, pending.Task);
            try
            {
                var outcome = await apply();
                pending.SetResult(outcome);
                _answers.Complete(transactionId);
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
        finally
        {
            LedgerMetrics.TransactionDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds,
                new KeyValuePair<string, object?>("kind", WireNames.Of(kind)));
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
        var total = lines.Sum(l => l.LineTotal);
        var receipt = new Receipt(command.TransactionId, TransactionKind.Sale, StoreId, command.EmployeeId, command.CustomerId, now,
            _store!.LocalDate(now), lines, total, LedgerRules.Pay(command.Payment, total), Rental: null, Return: null,
            EventIds.For(StoreId, command.TransactionId, TransactionKind.Sale, accepted: true));
        return await CommitAsync(tx, receipt, snapshot.Employees[command.EmployeeId], customerKey);
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
            limitRefusal = await GrainFactory.Reference<ICustomerGrain>(command.CustomerId).ReserveRentalAsync(
                new RentalReservation(command.TransactionId, StoreId, copies.Values.Sum(), startedAt, dueDate));
        }
        finally
        {
            Hold(copies, -1);
        }
        if (limitRefusal is not null) return await RefuseAsync(tx, limitRefusal);

        // From here to CommitAsync: no await (the held copies are taken for real in the same turn).
        var total = lines.Sum(l => l.LineTotal);
        var receipt = new Receipt(command.TransactionId, TransactionKind.Rental, StoreId, command.EmployeeId, command.CustomerId, startedAt,
            startDate, lines, total, LedgerRules.Pay(command.Payment, total),
            new RentalTerms(command.TransactionId, command.Days, startDate, dueDate), Return: null,
            EventIds.For(StoreId, command.TransactionId, TransactionKind.Rental, accepted: true));
        return await CommitAsync(tx, receipt, snapshot.Employees[command.EmployeeId], profile.CustomerKey);
    }

    private async Task<TransactionOutcome> ApplyReturnAsync(ReturnCommand command, string fingerprint)
    {
        var now = time.GetUtcNow();
        var tx = new Attempt(command.TransactionId, fingerprint, TransactionKind.Return, now, command.EmployeeId, null, [])
        {
            RentalId = command.RentalId,
        };
        if (await CheckCommonAsync(tx, command.Payment) is { } common) return common;
        var snapshot = await masterData.GetAsync();
        if (_openRentals.TryGetValue(command.RentalId, out var open) && open.CustomerKey is null)
        {
            // Replayed from the journal, which does not keep the customer key: ask the customer's grain once.
            var key = (await GetCustomerProfileAsync(open.CustomerId)).CustomerKey;
            if (_openRentals.TryGetValue(command.RentalId, out open)) _openRentals[command.RentalId] = open with { CustomerKey = key };
        }
        if (!_openRentals.ContainsKey(command.RentalId))
        {
            var closed = _returnsUncommitted.Contains(command.RentalId) || await history.RentalStatusAsync(StoreId, command.RentalId) == "closed";
            if (!_openRentals.ContainsKey(command.RentalId))
            {
                return await RefuseAsync(tx, closed
                    ? new Refusal(RefusalCodes.RentalAlreadyClosed, $"Rental {command.RentalId} was already returned.")
                    : new Refusal(RefusalCodes.RentalUnknown, $"Store {StoreId} has no rental {command.RentalId}."));
            }
        }

        // From here to CommitAsync: no await, so nothing else can return this rental in between.
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

        var returnedOn = _store!.LocalDate(returnedAt);
        var lateDays = LedgerRules.LateDays(rental.DueDate, returnedOn, _options.LateFee);
        var fee = LedgerRules.LateFee(lateDays, rental.Lines, _options.LateFee);
        var lines = LedgerRules.ReturnLines(rental.Lines, lateDays, fee, _options.LateFee);
        var paid = fee > 0 && command.Payment is not null;
        var receipt = new Receipt(command.TransactionId, TransactionKind.Return, StoreId, command.EmployeeId, rental.CustomerId, now,
            _store.LocalDate(now), lines, fee, paid ? LedgerRules.Pay(command.Payment!, fee) : null, Rental: null,
            new ReturnInfo(command.RentalId, rental.StartedAt, rental.DueDate, returnedAt, lateDays, fee, paid),
            EventIds.For(StoreId, command.TransactionId, TransactionKind.Return, accepted: true));
        return await CommitAsync(tx, receipt, snapshot.Employees[command.EmployeeId], rental.CustomerKey);
    }

    private async Task<TransactionOutcome> ApplyLateFeePaymentAsync(LateFeePaymentCommand command, string fingerprint)
    {
        var now = time.GetUtcNow();
        var rentalId = command.RentalId;
        var tx = new Attempt(command.TransactionId, fingerprint, TransactionKind.LateFeePayment, now, command.EmployeeId, null, [])
        {
            RentalId = rentalId,
        };
        if (await CheckCommonAsync(tx, command.Payment) is { } common) return common;
        if (command.Payment is null) return await RefuseAsync(tx, new Refusal(RefusalCodes.PaymentInvalid, "A late fee payment needs a payment."));
        var snapshot = await masterData.GetAsync();
        if (!_owedFees.TryGetValue(rentalId, out var owed))
        {
            var known = _openRentals.ContainsKey(rentalId) || _returnsUncommitted.Contains(rentalId)
                || await history.RentalStatusAsync(StoreId, rentalId) is not null;
            if (!_owedFees.TryGetValue(rentalId, out owed))
            {
                var open = _openRentals.GetValueOrDefault(rentalId);
                tx = tx with { CustomerId = open?.CustomerId, CustomerKey = open?.CustomerKey };
                return await RefuseAsync(tx, (known, open) switch
                {
                    (false, _) => new Refusal(RefusalCodes.RentalUnknown, $"Store {StoreId} has no rental {rentalId}; a late fee is paid at the store that took the return."),
                    (_, not null) => new Refusal(RefusalCodes.LateFeeNotOwed, $"Rental {rentalId} has not been returned yet; a late fee is charged by its return."),
                    _ => new Refusal(RefusalCodes.LateFeeNotOwed, $"Rental {rentalId} owes no late fee: it came back on time, or its fee is already paid."),
                });
            }
        }
        var customerKey = (await GetCustomerProfileAsync(owed.CustomerId)).CustomerKey;
        tx = tx with { CustomerId = owed.CustomerId, CustomerKey = customerKey };
        // From here to CommitAsync: no await, so the fee cannot be paid twice (a payment that committed while this one
        // asked for the customer's key has already taken it out of _owedFees).
        if (!_owedFees.TryGetValue(rentalId, out owed))
        {
            return await RefuseAsync(tx, new Refusal(RefusalCodes.LateFeeNotOwed, $"The late fee of rental {rentalId} is already paid."));
        }
        var fee = owed.Return.LateFee;
        var receipt = new Receipt(command.TransactionId, TransactionKind.LateFeePayment, StoreId, command.EmployeeId, owed.CustomerId, now,
            _store!.LocalDate(now), [], fee, LedgerRules.Pay(command.Payment, fee), Rental: null, owed.Return with { FeePaid = true },
            EventIds.For(StoreId, command.TransactionId, TransactionKind.LateFeePayment, accepted: true));
        return await CommitAsync(tx, receipt, snapshot.Employees[command.EmployeeId], customerKey);
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
        if (tx.Kind is TransactionKind.Sale or TransactionKind.Rental && LedgerRules.CheckShape(tx.Lines, _options) is { } shapeRefusal)
        {
            return await RefuseAsync(tx, shapeRefusal);
        }
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
        var profile = await GrainFactory.Reference<ICustomerGrain>(customerId).GetProfileAsync();
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
        return await AppendAndCommitAsync(new JournalEntry(++_sequence, tx.TransactionId, tx.Fingerprint, outcome, type, json,
            employee?.EmployeeId, tx.CustomerId, _store!.LocalDate(tx.At)));
    }

    private Task<TransactionOutcome> CommitAsync(Attempt tx, Receipt receipt, EmployeeRecord employee, string? customerKey)
    {
        ApplyEffects(receipt, customerKey);
        var outcome = new TransactionOutcome(tx.TransactionId, receipt.Kind, StoreId, receipt, null, receipt.EventId, tx.At);
        var (type, json) = EventFactory.Accepted(receipt, _store!, employee, customerKey);
        return AppendAndCommitAsync(new JournalEntry(++_sequence, tx.TransactionId, tx.Fingerprint, outcome, type, json,
            employee.EmployeeId, receipt.CustomerId, receipt.LocalDate));
    }

    /// <summary>
    /// What an accepted transaction does to stock, open rentals and owed late fees: the one place that changes them, used by the
    /// live path (after its checks, in the same turn) and by the journal replay on activation.
    /// </summary>
    private void ApplyEffects(Receipt receipt, string? customerKey)
    {
        switch (receipt.Kind)
        {
            case TransactionKind.Sale:
                foreach (var line in receipt.Lines) AdjustStock(line.ItemId, sale: -line.Quantity, @out: 0);
                break;
            case TransactionKind.Rental:
                var terms = receipt.Rental!;
                foreach (var line in receipt.Lines) AdjustStock(line.ItemId, sale: 0, @out: line.Quantity);
                _openRentals[receipt.TransactionId] = new OpenRentalEntry(receipt.TransactionId, receipt.CustomerId!.Value, receipt.OccurredAt,
                    terms.StartDate, terms.DueDate,
                    [.. receipt.Lines.Select(l => new RentalLineEntry(l.ItemId, l.Quantity, l.DailyPrice ?? 0m, l.Title, l.MediaType, l.Genre))],
                    customerKey);
                break;
            case TransactionKind.Return:
                var rentalId = receipt.Return!.RentalId;
                if (_openRentals.Remove(rentalId, out var rental))
                {
                    foreach (var line in rental.Lines) AdjustStock(line.ItemId, sale: 0, @out: -line.Quantity);
                }
                _returnsUncommitted.Add(rentalId);
                var returned = receipt.Return;
                if (returned.LateFee > 0 && !returned.FeePaid) _owedFees[rentalId] = new OwedLateFee(receipt.CustomerId!.Value, returned);
                break;
            case TransactionKind.LateFeePayment:
                _owedFees.Remove(receipt.Return!.RentalId);
                break;
        }
    }

    private void AdjustStock(int itemId, int sale, int @out)
    {
        var entry = _stock.GetValueOrDefault(itemId) ?? new StockEntry(0, 0, 0);
        _stock[itemId] = entry with { CopiesForSale = entry.CopiesForSale + sale, RentalCopiesOut = entry.RentalCopiesOut + @out };
    }

    /// <summary>
    /// Hands the entry to the silo's journal writer, where it joins this store's write that has not gone to PostgreSQL
    /// yet, and answers once that write is durable. Nothing waits for this store's previous write: the writer commits
    /// a store's writes in order, one round at a time, so a transaction waits for at most the round in flight and its own.
    /// </summary>
    private async Task<TransactionOutcome> AppendAndCommitAsync(JournalEntry entry)
    {
        if (_broken is not null) throw new LedgerUnavailableException("The store ledger is restarting; retry.", _broken);
        _uncommitted.Add(entry);
        LedgerMetrics.Transactions.Add(1);
        var durable = journal.AppendAsync(_stream!, entry);
        if (durable != _lastWrite)
        {
            _lastWrite = durable;
            _ = AfterWriteAsync(durable);
        }
        // Memory holds exactly the journal up to this entry: the moment to copy a checkpoint, written once it is durable.
        if (_pendingCheckpoint is null && !_checkpointing && time.GetUtcNow().UtcTicks >= _checkpointDueAt) _pendingCheckpoint = TakeCheckpoint();
        try
        {
            await durable;
        }
        catch (Exception e)
        {
            throw new LedgerUnavailableException("Recording the transaction failed; retry.", e);
        }
        return entry.Outcome;
    }

    /// <summary>
    /// Once a write is durable: its entries (and any before them, should completions arrive out of order) go to the
    /// relay and the customers' accounts, and a checkpoint it covers is written. If it failed, memory is ahead of the
    /// journal (or, if the connection died after PostgreSQL committed, maybe not): the writer fails this activation's
    /// later writes too, so every caller still waiting gets an error, and a fresh activation replays what is durable.
    /// Customers' reservations of rentals that failed are settled by the reservation timeout, which asks the store.
    /// </summary>
    private async Task AfterWriteAsync(Task<long> durable)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        long through;
        try
        {
            through = await durable;
        }
        catch (Exception e)
        {
            if (_broken is not null) return;
            _broken = e;
            LogCommitFailed(logger, e, StoreId, _uncommitted.Count);
            _uncommitted.Clear();
            _pendingCheckpoint = null;
            DeactivateOnIdle();
            return;
        }
        var count = 0;
        while (count < _uncommitted.Count && _uncommitted[count].Sequence <= through) count++;
        if (count == 0) return;
        var batch = _uncommitted.GetRange(0, count);
        _uncommitted.RemoveRange(0, count);
        LedgerMetrics.CommitDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        LedgerMetrics.CommitBatchSize.Record(count);
        AfterCommit(batch);
        if (_pendingCheckpoint is { } checkpoint && checkpoint.Sequence <= through)
        {
            _pendingCheckpoint = null;
            _ = WriteCheckpointAsync(checkpoint);
        }
    }

    /// <summary>Hands a committed batch to the transport and its returns to the customers' accounts.</summary>
    private void AfterCommit(List<JournalEntry> batch)
    {
        // Memory takes the batch's events only if it holds everything committed before them (else they are read
        // back from the journal after those), and only while it has room.
        var contiguous = _queuedThrough == _committedThrough;
        _committedThrough = batch[^1].Sequence;
        foreach (var entry in batch)
        {
            if (contiguous && EventsInMemory < UnpublishedInMemory)
            {
                _unpublished.Add((entry.Sequence, new OutgoingEvent(entry.Outcome.EventId!.Value.ToString("D"), entry.EventType, StoreId, entry.EventJson)));
                _queuedThrough = entry.Sequence;
            }
            else
            {
                contiguous = false;
            }
            if (entry.Outcome.Receipt is not { } receipt) continue;
            if (receipt.Return is { } ret)
            {
                _returnsUncommitted.Remove(ret.RentalId); // history says closed from now on
                _customerPending.Add(receipt);
            }
            else if (receipt.Kind == TransactionKind.Rental)
            {
                _ = ConfirmReservationAsync(receipt.CustomerId!.Value, receipt.TransactionId);
            }
        }
        KickPublishing();
        KickSettling();
    }

    private StoreState TakeCheckpoint() => new()
    {
        Initialized = true,
        Stock = new Dictionary<int, StockEntry>(_stock),
        OpenRentals = new Dictionary<Guid, OpenRentalEntry>(_openRentals),
        Sequence = _sequence,
    };

    private void ScheduleCheckpoint() => _checkpointDueAt = (time.GetUtcNow() + _options.CheckpointInterval).UtcTicks;

    /// <summary>Writes a checkpoint taken after a successful commit. A failure costs only a longer replay.</summary>
    private async Task WriteCheckpointAsync(StoreState checkpoint)
    {
        _checkpointing = true;
        try
        {
            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            state.State = checkpoint;
            await state.WriteStateAsync();
            _checkpointed = checkpoint.Sequence;
            LedgerMetrics.CheckpointDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        catch (Exception e)
        {
            LogCheckpointFailed(logger, e, StoreId);
        }
        finally
        {
            _checkpointing = false;
            ScheduleCheckpoint();
        }
    }

    /// <summary>Best effort: an unconfirmed reservation is checked with the store after Ledger:ReservationTimeout anyway.</summary>
    private async Task ConfirmReservationAsync(int customerId, Guid rentalId)
    {
        try
        {
            await GrainFactory.Reference<ICustomerGrain>(customerId).ConfirmRentalAsync(rentalId);
        }
        catch (Exception e)
        {
            LogConfirmFailed(logger, e, rentalId);
        }
    }

    /// <summary>An id this activation has not seen: the silo's journal writer asks the history, batched with other stores' ids.</summary>
    private async Task<RememberedTransaction?> LookupAsync(Guid transactionId)
    {
        try
        {
            return await journal.LookupAsync(transactionId);
        }
        catch (Exception e)
        {
            throw new LedgerUnavailableException("Checking the transaction id failed; retry.", e);
        }
    }

    private void KickSettling()
    {
        if (_settling || _broken is not null || _customerPending.Count == 0) return;
        _settling = true;
        _ = DrainAsync(SettleBatchAsync, (e, delayMs) => LogSettleFailed(logger, e, StoreId, _customerPending.Count, delayMs), () => _settling = false);
    }

    /// <summary>
    /// Tells the customers' accounts about committed returns (rental closed, fee owed) and late fee payments (fee no
    /// longer owed), then forgets them (<c>unsettled_returns</c>).
    /// </summary>
    private async Task<bool> SettleBatchAsync()
    {
        if (_customerPending.Count == 0) return false;
        var batch = _customerPending.GetRange(0, Math.Min(_customerPending.Count, _options.PublishBatchSize));
        // Closing is idempotent on the customer's side, so a repeat after a failure changes nothing.
        await Task.WhenAll(batch.Select(r =>
        {
            var customer = GrainFactory.Reference<ICustomerGrain>(r.CustomerId!.Value);
            return r.Kind == TransactionKind.LateFeePayment
                ? customer.SettleLateFeeAsync(r.Return!.RentalId)
                : customer.CloseRentalAsync(r.Return!.RentalId, r.Return.FeePaid ? 0m : r.Return.LateFee);
        }));
        await journal.SettleAsync([.. batch.Select(r => r.TransactionId)]);
        _customerPending.RemoveRange(0, batch.Count);
        return true;
    }

    /// <summary>
    /// Runs <paramref name="step"/> until it reports nothing left, retrying a failed step with exponential backoff on
    /// the grain's scheduler (what failed stays queued, so a retry repeats it); <paramref name="done"/> runs at the end.
    /// </summary>
    private async Task DrainAsync(Func<Task<bool>> step, Action<Exception, double> logFailure, Action done)
    {
        try
        {
            var failures = 0;
            while (_broken is null)
            {
                try
                {
                    if (!await step()) return;
                    failures = 0;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    var delay = Backoff(++failures);
                    logFailure(e, delay.TotalMilliseconds);
                    await WaitBeforeRetryAsync(delay);
                }
            }
        }
        finally
        {
            done();
        }
    }

    private void KickPublishing()
    {
        if (_broken is not null) return;
        if (_publishing)
        {
            _publishWake?.TrySetResult(); // a relay waiting for an acknowledgement hands the new events over now
            return;
        }
        if (_unpublished.Count == 0 && _queuedThrough >= _committedThrough && _handedOver.Count == 0) return;
        _publishing = true;
        // Published or not, failed events stay queued: a repeat is harmless (consumers drop duplicate ids).
        _ = DrainAsync(PublishStepAsync, (e, delayMs) => LogPublishFailed(logger, e, StoreId, EventsInMemory, delayMs),
            () => _publishing = false);
    }

    /// <summary>
    /// One step of the relay: hands the store's next events to the transport in journal order while it takes more
    /// publish calls at once (<see cref="IEventPublisher.MaxBatchesInFlight"/>), else waits for the oldest call's
    /// acknowledgement (or for events to hand over) and records how far the transport acknowledged them.
    /// </summary>
    private async Task<bool> PublishStepAsync()
    {
        if (_queuedThrough < _committedThrough && EventsInMemory < UnpublishedInMemory / 2)
        {
            // Committed events memory did not take (a previous activation's, or more than fit): the next ones in
            // journal order. Commits meanwhile are not queued (memory is behind), so nothing is taken twice.
            foreach (var stored in await history.LoadEventsAfterAsync(StoreId, _queuedThrough, UnpublishedInMemory - EventsInMemory))
            {
                _unpublished.Add(stored);
                _queuedThrough = stored.Sequence;
            }
        }
        if (_unpublished.Count > 0 && _handedOver.Count < publisher.MaxBatchesInFlight)
        {
            HandOver();
            return true;
        }
        if (_handedOver.Count == 0) return false;

        var oldest = _handedOver.Peek();
        if (!oldest.Acknowledged.IsCompleted && _handedOver.Count < publisher.MaxBatchesInFlight)
        {
            // Room for more: whichever comes first, the acknowledgement or the next commit's events.
            var wake = _publishWake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            await Task.WhenAny(oldest.Acknowledged, wake.Task);
            _publishWake = null;
            if (!oldest.Acknowledged.IsCompleted) return true;
        }
        try
        {
            await oldest.Acknowledged;
        }
        catch
        {
            await ForgetHandedOverAsync();
            throw;
        }
        // Calls acknowledged together (one lake batch holds them) move the relay position once.
        int calls = 0, acknowledged = 0;
        var through = _publishedThrough;
        foreach (var call in _handedOver)
        {
            if (!call.Acknowledged.IsCompletedSuccessfully) break;
            calls++;
            acknowledged += call.Count;
            through = call.Through;
        }
        await history.SetRelayPositionAsync(StoreId, through);
        for (var i = 0; i < calls; i++) _handedOver.Dequeue();
        _handedOverEvents -= acknowledged;
        _publishedThrough = through;
        LedgerMetrics.PublishDuration.Record(System.Diagnostics.Stopwatch.GetElapsedTime(oldest.Started).TotalMilliseconds);
        return true;
    }

    /// <summary>Hands the next events in memory to the transport, up to Ledger:PublishBatchSize, without waiting for it.</summary>
    private void HandOver()
    {
        var count = Math.Min(_unpublished.Count, _options.PublishBatchSize);
        var events = new OutgoingEvent[count];
        for (var i = 0; i < count; i++) events[i] = _unpublished[i].Event;
        var through = _unpublished[count - 1].Sequence;
        _unpublished.RemoveRange(0, count);
        _handedOverEvents += count;
        Task call;
        try
        {
            call = publisher.PublishAsync(events, CancellationToken.None);
        }
        catch (Exception e)
        {
            call = Task.FromException(e); // failed before it started: handled like any failed call
        }
        _handedOver.Enqueue(new HandedOver(through, count, System.Diagnostics.Stopwatch.GetTimestamp(), call));
    }

    /// <summary>
    /// A publish call failed: waits until every call still out has ended, then forgets what memory held after the
    /// last acknowledged event, so the retry reads it back from the journal in order (what a later call delivered
    /// is delivered again: consumers drop duplicate ids).
    /// </summary>
    private async Task ForgetHandedOverAsync()
    {
        // Their outcomes do not matter: the retry sends everything after the last acknowledged event again.
        await Task.WhenAll(_handedOver.Select(call => call.Acknowledged))
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing | ConfigureAwaitOptions.ContinueOnCapturedContext);
        _handedOver.Clear();
        _handedOverEvents = 0;
        _unpublished.Clear();
        _queuedThrough = _publishedThrough;
    }

    /// <summary>A publish call out with the transport: the last journal position it holds, its size, when it left.</summary>
    private readonly record struct HandedOver(long Through, int Count, long Started, Task Acknowledged);

    /// <summary>Exponential from 200 ms, capped at <c>Ledger:OutboxMaxBackoff</c>.</summary>
    private TimeSpan Backoff(int failures) =>
        TimeSpan.FromMilliseconds(Math.Min(_options.OutboxMaxBackoff.TotalMilliseconds, 100 * Math.Pow(2, Math.Min(failures, 16))));

    /// <summary>Waits on the grain's scheduler, keeping the activation alive so the retry happens.</summary>
    private async Task WaitBeforeRetryAsync(TimeSpan delay)
    {
        DelayDeactivation(delay + TimeSpan.FromMinutes(1));
        await Task.Delay(delay, time);
    }

    /// <summary>What a transaction attempt is about, gathered as checks learn more of it (for its event).</summary>
    private sealed record Attempt(
        Guid TransactionId, string Fingerprint, TransactionKind Kind, DateTimeOffset At, int EmployeeId, int? CustomerId, ImmutableArray<LineRequest> Lines)
    {
        public string? CustomerKey { get; init; }
        public Guid? RentalId { get; init; }
        public int? Days { get; init; }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Store {StoreId}: committing {Count} transactions to the journal failed")]
    private static partial void LogCommitFailed(ILogger logger, Exception error, int storeId, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId}: writing the checkpoint failed; the next activation replays more journal")]
    private static partial void LogCheckpointFailed(ILogger logger, Exception error, int storeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId}: telling customers about {Count} returns failed; retrying in {DelayMs} ms")]
    private static partial void LogSettleFailed(ILogger logger, Exception error, int storeId, int count, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Store {StoreId}: publishing failed with {Count} events waiting; retrying in {DelayMs} ms")]
    private static partial void LogPublishFailed(ILogger logger, Exception error, int storeId, int count, double delayMs);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Confirming the reservation of rental {RentalId} failed; the reservation timeout settles it")]
    private static partial void LogConfirmFailed(ILogger logger, Exception error, Guid rentalId);
}
