using System.Diagnostics.Metrics;

namespace TradeMaster.Silo.Ledger;

/// <summary>What the ledger does per second and how its group commit behaves (Meter "TradeMaster.Ledger").</summary>
public static class LedgerMetrics
{
    public const string MeterName = "TradeMaster.Ledger";

    private static readonly Meter Meter = new(MeterName);

    public static readonly Counter<long> Transactions = Meter.CreateCounter<long>("tm.ledger.transactions", description: "Transactions recorded (accepted or refused).");

    public static readonly Histogram<int> FlushBatchSize = Meter.CreateHistogram<int>("tm.ledger.flush.batch_size", description: "Transactions made durable by one state write.");

    public static readonly Histogram<double> FlushDuration = Meter.CreateHistogram<double>("tm.ledger.flush.duration", "ms", "Duration of one grain state write.");

    public static readonly Histogram<double> DeliveryDuration = Meter.CreateHistogram<double>("tm.ledger.outbox.delivery.duration", "ms", "Duration of one outbox delivery round.");

    public static readonly Histogram<double> PublishDuration = Meter.CreateHistogram<double>("tm.ledger.publish.duration", "ms", "Duration of one publish call plus its acknowledgement in the history table.");

    public static readonly Histogram<int> OutboxSize = Meter.CreateHistogram<int>("tm.ledger.outbox.size", description: "Outbox entries carried by a state write.");
}
