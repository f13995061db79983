using System.Globalization;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Silo.Ledger;

/// <summary>
/// The transaction ids a store answered most recently, with their request fingerprints, including ones still being
/// written: a concurrent duplicate waits for the same task instead of being processed twice, and a reused id with
/// another request is a conflict without asking PostgreSQL. Once an answer is durable only the id and a 128-bit
/// fingerprint stay (no object per entry, so a full set costs the collector nothing); a retry of it is answered
/// from the history tables, like an id older than the set. Bounded.
/// </summary>
public sealed class RecentAnswers(int capacity)
{
    private readonly Dictionary<Guid, Answer> _answers = [];
    private readonly Queue<Guid> _order = new();

    /// <summary><see cref="Pending"/> is the answer still being written; null once it is in the journal.</summary>
    public readonly record struct Answer(UInt128 Fingerprint, Task<TransactionOutcome>? Pending);

    public int Count => _answers.Count;

    public bool TryGet(Guid transactionId, out Answer answer) => _answers.TryGetValue(transactionId, out answer);

    public void AddPending(Guid transactionId, string fingerprint, Task<TransactionOutcome> outcome) => Add(transactionId, new Answer(Compact(fingerprint), outcome));

    public void AddCompleted(Guid transactionId, string fingerprint) => Add(transactionId, new Answer(Compact(fingerprint), null));

    /// <summary>The answer is durable: keep the id and fingerprint, drop the outcome.</summary>
    public void Complete(Guid transactionId)
    {
        if (_answers.TryGetValue(transactionId, out var answer)) _answers[transactionId] = answer with { Pending = null };
    }

    public void Remove(Guid transactionId) => _answers.Remove(transactionId);

    /// <summary>The first 128 bits of a SHA-256 fingerprint (hex), as compared by <see cref="Answer.Fingerprint"/>.</summary>
    public static UInt128 Compact(string fingerprint) =>
        UInt128.Parse(fingerprint.AsSpan(0, Math.Min(32, fingerprint.Length)), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);

    private void Add(Guid transactionId, Answer answer)
    {
        if (_answers.TryAdd(transactionId, answer)) _order.Enqueue(transactionId);
        else _answers[transactionId] = answer;
        while (_answers.Count > capacity && _order.TryDequeue(out var oldest))
        {
            // Never forget an answer still being written: its duplicates must keep waiting for it.
            if (_answers.TryGetValue(oldest, out var old) && old.Pending is not null) { _order.Enqueue(oldest); break; }
            _answers.Remove(oldest);
        }
    }
}
