using System.Diagnostics.Metrics;

namespace TradeMaster.Silo.Ledger;

/// <summary>What the ledger does per second and how its group commit behaves (Meter "TradeMaster.Ledger").</summary>
public static class LedgerMetrics
{
    public const string MeterName = "TradeMaster.Ledger";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Transactions = Meter.CreateCounter<long>("tm.ledger.transactions", description: "Transactions recorded (accepted or refused).");

    public static readonly Histogram<int> CommitBatchSize = Meter.CreateHistogram<int>("tm.ledger.commit.batch_size", description: "Transactions made durable by one journal commit.");

    public static readonly Histogram<double> CommitDuration = Meter.CreateHistogram<double>("tm.ledger.commit.duration", "ms", "Duration of one journal commit (one PostgreSQL statement batch).");

    public static readonly Histogram<double> TransactionDuration = Meter.CreateHistogram<double>("tm.ledger.transaction.duration", "ms", "From a store grain taking a transaction to its answer: the id look-up, the checks, the customer's grain and the wait for the commit.");

    public static readonly Histogram<double> JournalRoundDuration = Meter.CreateHistogram<double>("tm.ledger.journal.round.duration", "ms", "Duration of one merged journal commit of the silo (every store's batch waiting at that moment, in one database transaction).");

    public static readonly Histogram<int> JournalRoundSize = Meter.CreateHistogram<int>("tm.ledger.journal.round.size", description: "Transactions and reservations in one merged journal commit.");

    public static readonly Histogram<double> LookupDuration = Meter.CreateHistogram<double>("tm.ledger.lookup.duration", "ms", "Duration of one batched look-up of transaction ids no store remembers.");

    public static readonly Histogram<double> CheckpointDuration = Meter.CreateHistogram<double>("tm.ledger.checkpoint.duration", "ms", "Duration of one store checkpoint (grain state write).");

    public static readonly Histogram<double> PublishDuration = Meter.CreateHistogram<double>("tm.ledger.publish.duration", "ms", "Duration of one publish call plus its acknowledgement in the history table.");
}
