using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.History;

/// <summary>
/// The silo's group commit. Each store grain appends every transaction it applies to its <see cref="JournalStream"/>;
/// entries join the store's write that has not gone to PostgreSQL yet, and one loop commits, round after round,
/// every write waiting at that moment (every store's, with the customers' rental reservations taken meanwhile) as
/// one database transaction, likewise batching the idempotency look-ups of ids no store remembers. A transaction
/// waits for at most the round in flight and its own; PostgreSQL runs one statement per table for all the stores
/// instead of one per store (on two cores with five busy stores that was a fifth of its work,
/// <c>docs/performance-log.md</c>).
/// <para>
/// All or nothing across the merged stores: when a merged commit fails (one store's write carries an id that is
/// already recorded, or a <c>store_seq</c> a newer activation of that store wrote), nothing of it was written, so
/// each write (and each reservation) is committed again on its own, in order, and only the one that fails learns of
/// the failure. A stream whose write failed commits nothing more: its later writes fail with the same error, so a
/// store's journal never has a gap.
/// With <c>Ledger:MaxCommitBatch</c> = 1 (one commit per transaction, the benchmark's naive ledger) nothing is merged:
/// each store commits its transactions one at a time, the stores side by side.
/// </para>
/// </summary>
public sealed partial class JournalWriter(LedgerHistory history, IOptions<LedgerOptions> options, ILogger<JournalWriter> logger)
{
    private readonly Lock _gate = new();
    private readonly int _maxEntries = Math.Max(1, options.Value.MaxCommitBatch);
    private List<JournalWrite> _commits = [];
    private bool _committing;
    private Dictionary<Guid, TaskCompletionSource<RememberedTransaction?>> _lookups = [];
    private bool _lookingUp;

    /// <summary>One store activation's way into the journal: its entries are committed in the order they are appended.</summary>
    public JournalStream OpenStream(int storeId) => new(storeId);

    /// <summary>
    /// Appends an entry to the store's write that has not gone to PostgreSQL yet (a new one when there is none). The
    /// task completes, with the <c>store_seq</c> of the write's last entry, once that write is durable, and faults with
    /// what PostgreSQL said when it could not be written — or when an earlier write of the stream could not.
    /// </summary>
    public Task<long> AppendAsync(JournalStream stream, JournalEntry entry)
    {
        if (_maxEntries == 1) return stream.Chain(() => history.CommitAsync(stream.StoreId, [entry]), entry.Sequence);
        JournalWrite write;
        lock (_gate)
        {
            if (stream.Failed is { } failed) return Task.FromException<long>(failed);
            if (stream.Pending is { } open && open.Entries.Count < _maxEntries)
            {
                write = open;
            }
            else
            {
                write = stream.Pending = new JournalWrite(stream, null, null);
                _commits.Add(write);
            }
            write.Entries.Add(entry);
            if (!StartCommitting()) return write.Done.Task;
        }
        _ = Task.Run(CommitLoopAsync);
        return write.Done.Task;
    }

    /// <summary>Completes once the reservation is durable.</summary>
    public Task ReserveAsync(ReservationRow reservation) =>
        _maxEntries == 1 ? history.CommitAsync([], [reservation]) : EnqueueAsync(new JournalWrite(null, reservation, null));

    /// <summary>
    /// Forgets committed returns and late fee payments the customers' accounts now know of (their <c>unsettled_returns</c>
    /// rows), in the next round rather than in a database transaction of their own. Completes once that is durable.
    /// </summary>
    public Task SettleAsync(IReadOnlyCollection<Guid> transactionIds) =>
        _maxEntries == 1 ? history.MarkCustomerSettledAsync(transactionIds) : EnqueueAsync(new JournalWrite(null, null, transactionIds));

    private Task EnqueueAsync(JournalWrite write)
    {
        lock (_gate)
        {
            _commits.Add(write);
            if (!StartCommitting()) return write.Done.Task;
        }
        // Off the calling grain's scheduler: the loop serves every store.
        _ = Task.Run(CommitLoopAsync);
        return write.Done.Task;
    }

    /// <summary>Under the gate: true when the caller must start the commit loop (it is not running).</summary>
    private bool StartCommitting()
    {
        if (_committing) return false;
        _committing = true;
        return true;
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
            List<JournalWrite> round;
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

    /// <summary>
    /// Under the gate: waiting writes, oldest first, up to <c>Ledger:MaxCommitBatch</c> entries (at least one write).
    /// A write taken is closed: the store's next entries start a new one.
    /// </summary>
    private List<JournalWrite> TakeRound()
    {
        var take = 0;
        var entries = 0;
        while (take < _commits.Count && (take == 0 || entries + _commits[take].Size <= _maxEntries))
        {
            entries += _commits[take++].Size;
        }
        var round = _commits.GetRange(0, take);
        _commits.RemoveRange(0, take);
        foreach (var write in round)
        {
            if (write.Stream is { } stream && stream.Pending == write) stream.Pending = null;
        }
        return round;
    }

    private async Task CommitRoundAsync(List<JournalWrite> round)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await CommitAsync(round);
            LedgerMetrics.JournalRoundDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            LedgerMetrics.JournalRoundSize.Record(round.Sum(w => w.Size));
            foreach (var write in round) write.Succeed();
            return;
        }
        catch (Exception e) when (round.Count == 1)
        {
            Fail(round[0], e);
            return;
        }
        catch (Exception e)
        {
            LogMergedCommitFailed(logger, e, round.Count);
        }
        // Nothing of the merged transaction was written: each write alone, in order, so one store's conflict stays its
        // own, and a store whose write failed commits nothing after it.
        foreach (var write in round)
        {
            if (write.Stream?.Failed is { } failed)
            {
                write.Done.SetException(failed);
                continue;
            }
            try
            {
                await CommitAsync([write]);
                write.Succeed();
            }
            catch (Exception e)
            {
                Fail(write, e);
            }
        }
    }

    /// <summary>The write could not be written; the rest of its stream, queued or to come, is not written either.</summary>
    private void Fail(JournalWrite write, Exception error)
    {
        if (write.Stream is { } stream)
        {
            lock (_gate)
            {
                stream.Failed ??= error;
                foreach (var queued in _commits.Where(w => w.Stream == stream).ToList())
                {
                    _commits.Remove(queued);
                    queued.Done.SetException(error);
                }
                stream.Pending = null;
            }
        }
        write.Done.SetException(error);
    }

    private Task CommitAsync(List<JournalWrite> writes) => history.CommitAsync(
        [.. writes.Where(w => w.Stream is not null).Select(w => new StoreBatch(w.Stream!.StoreId, w.Entries))],
        [.. writes.Where(w => w.Reservation is not null).Select(w => w.Reservation!)],
        [.. writes.Where(w => w.Settled is not null).SelectMany(w => w.Settled!)]);

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
                var started = Stopwatch.GetTimestamp();
                var found = await history.LookupAsync(round.Keys);
                LedgerMetrics.LookupDuration.Record(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
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

/// <summary>
/// One store activation's entries on their way into the journal (<see cref="JournalWriter.OpenStream"/>). Once a write of
/// it fails, nothing more of it is written: the activation's memory is ahead of the journal and it starts over.
/// </summary>
public sealed class JournalStream
{
    internal JournalStream(int storeId) => StoreId = storeId;

    public int StoreId { get; }

    /// <summary>The first error a write of this stream failed with (guarded by the writer's gate).</summary>
    internal Exception? Failed { get; set; }

    /// <summary>The write new entries join until the writer takes it into a round (guarded by the writer's gate).</summary>
    internal JournalWrite? Pending { get; set; }

    private Task _tail = Task.CompletedTask;

    /// <summary>One commit per entry, each after the one before succeeded (<c>Ledger:MaxCommitBatch</c> = 1).</summary>
    internal Task<long> Chain(Func<Task> commit, long sequence)
    {
        var next = ChainAsync(_tail, commit, sequence);
        _tail = next;
        return next;
    }

    private static async Task<long> ChainAsync(Task previous, Func<Task> commit, long sequence)
    {
        await previous;
        await commit();
        return sequence;
    }
}

/// <summary>
/// What waits for the next commit of the <see cref="JournalWriter"/>: a store's entries, a customer's reservation, or
/// settled returns to forget.
/// </summary>
internal sealed class JournalWrite(JournalStream? stream, ReservationRow? reservation, IReadOnlyCollection<Guid>? settled)
{
    public JournalStream? Stream { get; } = stream;
    public List<JournalEntry> Entries { get; } = [];
    public ReservationRow? Reservation { get; } = reservation;
    public IReadOnlyCollection<Guid>? Settled { get; } = settled;
    public TaskCompletionSource<long> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public int Size => Stream is null ? 1 : Entries.Count;

    /// <summary>Durable: the store's journal holds everything up to this write's last entry.</summary>
    public void Succeed() => Done.SetResult(Entries.Count > 0 ? Entries[^1].Sequence : 0);
}
