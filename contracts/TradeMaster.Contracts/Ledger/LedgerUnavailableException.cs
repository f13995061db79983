namespace TradeMaster.Contracts.Ledger;

/// <summary>A fault, not a refusal: the ledger could not record or check a transaction now. Safe to retry with the same id.</summary>
[GenerateSerializer, Alias("tm.ledger-unavailable")]
public sealed class LedgerUnavailableException : Exception
{
    public LedgerUnavailableException() { }

    public LedgerUnavailableException(string message) : base(message) { }

    public LedgerUnavailableException(string message, Exception inner) : base(message, inner) { }
}
