using System.Diagnostics.Metrics;

namespace TradeMaster.Sink;

/// <summary>The sink's instruments (Meter "TradeMaster.Sink"); exported through OpenTelemetry when the host enables it.</summary>
public sealed class SinkMetrics
{
    public const string MeterName = "TradeMaster.Sink";

    private readonly Counter<long> _received;
    private readonly Counter<long> _accepted;
    private readonly Counter<long> _rejectedMessages;
    private readonly Counter<long> _rejectedByCode;
    private readonly Counter<long> _duplicates;
    private readonly Counter<long> _failed;
    private readonly Histogram<int> _batchSize;
    private readonly Histogram<double> _writeDuration;

    public SinkMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        _received = meter.CreateCounter<long>("trademaster.sink.received", "{message}", "Messages received, by transport.");
        _accepted = meter.CreateCounter<long>("trademaster.sink.accepted", "{event}", "Events written to the lake, by event type.");
        _rejectedMessages = meter.CreateCounter<long>("trademaster.sink.rejected", "{message}", "Messages written to the rejected set.");
        _rejectedByCode = meter.CreateCounter<long>("trademaster.sink.rejection_errors", "{error}", "Errors of rejected messages, by code.");
        _duplicates = meter.CreateCounter<long>("trademaster.sink.duplicates", "{event}", "Redelivered events dropped because they are already in the lake.");
        _failed = meter.CreateCounter<long>("trademaster.sink.failed", "{message}", "Messages answered with a retry because a write failed.");
        _batchSize = meter.CreateHistogram<int>("trademaster.sink.batch.size", "{message}", "Messages per flushed batch.");
        _writeDuration = meter.CreateHistogram<double>("trademaster.sink.write.duration", "ms", "Time to make a batch durable (claim, write objects, commit).");
    }

    public void Received(string transport) => _received.Add(1, new KeyValuePair<string, object?>("transport", transport));

    public void Accepted(string eventType) => _accepted.Add(1, new KeyValuePair<string, object?>("event_type", eventType));

    public void Rejected(IEnumerable<string> codes)
    {
        _rejectedMessages.Add(1);
        foreach (var code in codes) _rejectedByCode.Add(1, new KeyValuePair<string, object?>("code", code));
    }

    public void Duplicate() => _duplicates.Add(1);

    public void Failed() => _failed.Add(1);

    public void Batch(int size, TimeSpan duration)
    {
        _batchSize.Record(size);
        _writeDuration.Record(duration.TotalMilliseconds);
    }
}
