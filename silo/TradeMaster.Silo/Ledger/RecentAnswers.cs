using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Silo.Ledger;

/// <summary>
/// The answers a store gave most recently, by transaction id, including ones still being written: a retry or a
/// concurrent duplicate waits for the same task instead of being processed twice. Bounded; older ids are
/// answered from the history tables.
/// </summary>
public sealed class RecentAnswers(int capacity)
{
    private readonly Dictionary<Guid, Answer> _answers = [];
    private readonly Queue<Guid> _order = new();

    public readonly record struct Answer(string Fingerprint, Task<TransactionOutcome> Outcome);

    public int Count => _answers.Count;

    public bool TryGet(Guid transactionId, out Answer answer) => _answers.TryGetValue(transactionId, out answer);

    public void AddPending(Guid transactionId, string fingerprint, Task<TransactionOutcome> outcome) => Add(transactionId, new Answer(fingerprint, outcome));

    public void AddCompleted(Guid transactionId, string fingerprint, TransactionOutcome outcome) =>
        Add(transactionId, new Answer(fingerprint, Task.FromResult(outcome)));

    public void Remove(Guid transactionId) => _answers.Remove(transactionId);

    private void Add(Guid transactionId, Answer answer)
    {
        if (_answers.TryAdd(transactionId, answer)) _order.Enqueue(transactionId);
        else _answers[transactionId] = answer;
        while (_answers.Count > capacity && _order.TryDequeue(out var oldest))
        {
            // Never forget an answer still being written: its duplicates must keep waiting for it.
            if (_answers.TryGetValue(oldest, out var old) && !old.Outcome.IsCompleted) { _order.Enqueue(oldest); break; }
            _answers.Remove(oldest);
        }
    }
}
