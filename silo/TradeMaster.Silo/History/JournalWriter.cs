using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.History;

/// <summary>
/// The silo's group commit across stores. Each store grain already commits whatever it applied during its previous
/// commit as one batch; this merges the batches of every store on the silo that are waiting at the same moment into
/// one database transaction, and likewise the idempotency look-ups of ids no store remembers. PostgreSQL then runs
/// one statement per table for all those stores instead of one per store: on two cores with five busy stores that
/// was a fifth of its work (<c>docs/performance.md</c>).
/// <para>
/// All or nothing across the merged stores: when a merged commit fails (one store's batch carries an id that is
/// already recorded, or a <c>store_seq</c> a newer activation of that store wrote), nothing of it was written, so
/// each store's batch is committed again on its own and only the store whose batch fails learns of the failure.
/// With <c>Ledger:MaxCommitBatch</c> = 1 (one commit per transaction, the benchmark's naive ledger) nothing is merged.
/// </para>
/// </summary>
public sealed partial class JournalWriter(LedgerHistory history, IOptions<LedgerOptions> options, ILogger<JournalWriter> logger)
{
    private readonly Lock _gate = new();
    private readonly int _maxEntries = Math.Max(1, options.Value.MaxCommitBatch);
    private List<PendingCommit> _commits = [];
    private bool _committing;
    private Dictionary<Guid, TaskCompletionSource<RememberedTransaction?>> _lookups = [];
    private bool _lookingUp;

    private sealed record PendingCommit(StoreBatch Batch, TaskCompletionSource Done);

    /// <summary>Completes once the store's batch is durable; faults with what PostgreSQL said if it could not be written.</summary>
    public Task CommitAsync(int storeId, IReadOnlyList<JournalEntry> entries)
    {
        if (_maxEntries == 1) return history.CommitAsync(storeId, entries);
        var pending = new PendingCommit(new StoreBatch(storeId, entries), new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
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
            List<PendingCommit> round;
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

    /// <summary>Waiting store batches, oldest first, up to <c>Ledger:MaxCommitBatch</c> entries (at least one batch).</summary>
    private List<PendingCommit> TakeRound()
    {
        var take = 0;
        var entries = 0;
        while (take < _commits.Count && (take == 0 || entries + _commits[take].Batch.Entries.Count <= _maxEntries))
        {
            entries += _commits[take++].Batch.Entries.Count;
        }
        var round = _commits.GetRange(0, take);
        _commits.RemoveRange(0, take);
        return round;
    }

    private async Task CommitRoundAsync(List<PendingCommit> round)
    {
        try
        {
            await history.CommitAsync(round.ConvertAll(c => c.Batch));
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
        // Nothing of the merged transaction was written: each store's batch alone, so one store's conflict stays its own.
        foreach (var commit in round)
        {
            try
            {
                await history.CommitAsync([commit.Batch]);
                commit.Done.SetResult();
            }
            catch (Exception e)
            {
                commit.Done.SetException(e);
            }
        }
    }

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

    [LoggerMessage(Level = LogLevel.Warning, Message = "A journal commit merging {Stores} stores failed; committing each store's batch on its own")]
    private static partial void LogMergedCommitFailed(ILogger logger, Exception error, int stores);
}
