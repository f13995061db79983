using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.History;

/// <summary>
/// The silo's group commit across stores. Each store grain already commits whatever it applied during its previous
/// commit as one batch; this merges the batches of every store on the silo that are waiting at the same moment into
/// one database transaction, with the customers' rental reservations taken meanwhile, and likewise batches the
/// idempotency look-ups of ids no store remembers. PostgreSQL then runs
/// one statement per table for all those stores instead of one per store: on two cores with five busy stores that
/// was a fifth of its work (<c>docs/performance.md</c>).
/// <para>
/// All or nothing across the merged stores: when a merged commit fails (one store's batch carries an id that is
/// already recorded, or a <c>store_seq</c> a newer activation of that store wrote), nothing of it was written, so
/// each store's batch (and each reservation) is committed again on its own and only the one that fails learns of
/// the failure.
/// With <c>Ledger:MaxCommitBatch</c> = 1 (one commit per transaction, the benchmark's naive ledger) nothing is merged.
/// </para>
/// </summary>
public sealed partial class JournalWriter(LedgerHistory history, IOptions<LedgerOptions> options, ILogger<JournalWriter> logger)
{
    private readonly Lock _gate = new();
    private readonly int _maxEntries = Math.Max(1, options.Value.MaxCommitBatch);
    private List<PendingWrite> _commits = [];
    private bool _committing;
    private Dictionary<Guid, TaskCompletionSource<RememberedTransaction?>> _lookups = [];
    private bool _lookingUp;

    /// <summary>A store's batch or a customer's reservation, waiting for the next commit.</summary>
    private sealed record PendingWrite(StoreBatch? Batch, ReservationRow? Reservation, TaskCompletionSource Done)
    {
        public int Size => Batch?.Entries.Count ?? 1;
    }

    /// <summary>Completes once the store's batch is durable; faults with what PostgreSQL said if it could not be written.</summary>
    public Task CommitAsync(int storeId, IReadOnlyList<JournalEntry> entries) =>
        _maxEntries == 1 ? history.CommitAsync(storeId, entries) : Enqueue(new StoreBatch(storeId, entries), null);

    /// <summary>Completes once the reservation is durable.</summary>
    public Task ReserveAsync(ReservationRow reservation) =>
        _maxEntries == 1 ? history.CommitAsync([], [reservation]) : Enqueue(null, reservation);

    private Task Enqueue(StoreBatch? batch, ReservationRow? reservation)
    {
        var pending = new PendingWrite(batch, reservation, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        lock (_gate)
        {
            _commits.Add(pending);
            if (_committing) return pending.Done.Task;
            _committing = true;
        }
        // Off the calling grain's scheduler: the loop serves every store.
        _ = Task.Run(CommitLoopAsync);
        return pending.Done.Task;
    }

    /// <summary>What the history says of a transaction id no store grain remembers (null: never recorded).</summary>
    public Task<RememberedTransaction?> LookupAsync(Guid transactionId)
    {
        TaskCompletionSource<RememberedTransaction?>? lookup;
        lock (_gate)
        {
            if (!_lookups.TryGetValue(transactionId, out lookup))
            {
                lookup = new TaskCompletionSource<RememberedTransaction?>(TaskCreationOptions.RunContinuationsAsynchronously);
                _lookups[transactionId] = lookup;
            }
            if (_lookingUp) return lookup.Task;
            _lookingUp = true;
        }
        _ = Task.Run(LookupLoopAsync);
        return lookup.Task;
    }

    private async Task CommitLoopAsync()
    {
        while (true)
        {
            List<PendingWrite> round;
            lock (_gate)
            {
                if (_commits.Count == 0)
                {
                    _committing = false;
                    return;
                }
                round = TakeRound();
            }
            await CommitRoundAsync(round);
        }
    }

    /// <summary>Waiting writes, oldest first, up to <c>Ledger:MaxCommitBatch</c> entries (at least one write).</summary>
    private List<PendingWrite> TakeRound()
    {
        var take = 0;
        var entries = 0;
        while (take < _commits.Count && (take == 0 || entries + _commits[take].Size <= _maxEntries))
        {
            entries += _commits[take++].Size;
        }
        var round = _commits.GetRange(0, take);
        _commits.RemoveRange(0, take);
        return round;
    }

    private async Task CommitRoundAsync(List<PendingWrite> round)
    {
        try
        {
            await CommitAsync(round);
            foreach (var commit in round) commit.Done.SetResult();
            return;
        }
        catch (Exception e) when (round.Count == 1)
        {
            round[0].Done.SetException(e);
            return;
        }
        catch (Exception e)
        {
            LogMergedCommitFailed(logger, e, round.Count);
        }
        // Nothing of the merged transaction was written: each write alone, so one store's conflict stays its own.
        foreach (var commit in round)
        {
            try
            {
                await CommitAsync([commit]);
                commit.Done.SetResult();
            }
            catch (Exception e)
            {
                commit.Done.SetException(e);
            }
        }
    }

    private Task CommitAsync(List<PendingWrite> writes) => history.CommitAsync(
        [.. writes.Where(w => w.Batch is not null).Select(w => w.Batch!.Value)],
        [.. writes.Where(w => w.Reservation is not null).Select(w => w.Reservation!)]);

    private async Task LookupLoopAsync()
    {
        while (true)
        {
            Dictionary<Guid, TaskCompletionSource<RememberedTransaction?>> round;
            lock (_gate)
            {
                if (_lookups.Count == 0)
                {
                    _lookingUp = false;
                    return;
                }
                round = _lookups;
                _lookups = [];
            }
            try
            {
                var found = await history.LookupAsync(round.Keys);
                foreach (var (id, waiter) in round) waiter.SetResult(found.GetValueOrDefault(id));
            }
            catch (Exception e)
            {
                foreach (var waiter in round.Values) waiter.SetException(e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A journal commit merging {Stores} writes failed; committing each on its own")]
    private static partial void LogMergedCommitFailed(ILogger logger, Exception error, int stores);
}
