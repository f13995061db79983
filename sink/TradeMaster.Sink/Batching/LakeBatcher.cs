using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TradeMaster.Sink.Lake;

namespace TradeMaster.Sink.Batching;

/// <summary>How a message ended, once durable. Anything else is an exception: the transport must redeliver.</summary>
public enum SinkOutcome
{
    /// <summary>Written to the lake by this delivery.</summary>
    Accepted,

    /// <summary>Already in the lake from an earlier delivery; dropped.</summary>
    Duplicate,

    /// <summary>Written to the rejected set with its reasons.</summary>
    Rejected,
}

/// <summary>
/// A message waiting for its batch: its NDJSON line and the lake directory it belongs to. The line's bytes are valid
/// until <see cref="ReleaseLine"/>, which the batch that holds the message calls once it is done with it.
/// </summary>
internal sealed class PendingMessage(Guid? eventId, string directory, RowArena.Row line)
{
    private readonly TaskCompletionSource<SinkOutcome> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A message whose line owns its bytes (tests).</summary>
    public PendingMessage(Guid? eventId, string directory, byte[] line) : this(eventId, directory, new RowArena.Row(line))
    {
    }

    /// <summary>Set for lake rows (deduplicated); null for rejections.</summary>
    public Guid? EventId { get; } = eventId;

    public string Directory { get; } = directory;

    public ReadOnlyMemory<byte> Line => line.Memory;

    public void ReleaseLine() => line.Release();

    public Task<SinkOutcome> Completion => _completion.Task;

    public void Complete(SinkOutcome outcome) => _completion.TrySetResult(outcome);

    public void Fail(Exception error) => _completion.TrySetException(error);
}

/// <summary>
/// Groups messages into batches (closed at Sink:Batch:MaxEvents, at Sink:Batch:MaxAge, or when a batch of at least
/// Sink:Batch:IdleMinEvents has had no new message for Sink:Batch:MaxIdle) and makes each batch
/// durable: claim the event ids in PostgreSQL with the name of their object, write one object per lake directory,
/// commit the objects written (one row each, not one per event), and only then complete the messages (the
/// transports acknowledge on completion). A crash anywhere leaves ids claimed by a batch whose object is not
/// committed; the next delivery of such an id looks the object up: there, the event is in the lake (the object is
/// committed, the delivery is a duplicate); missing, this batch takes the id over and writes it.
/// Two batches may be in flight at once (one claiming while the other writes and commits: both wait mostly on
/// PostgreSQL and the disk); an id already in flight in an earlier batch follows that delivery's fate instead of
/// being claimed again, as a second copy within one batch does.
/// </summary>
public sealed partial class LakeBatcher : BackgroundService
{
    private readonly Channel<PendingMessage> _queue = Channel.CreateUnbounded<PendingMessage>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ILakeWriter _writer;
    private readonly EventClaims _claims;
    private readonly SinkOptions _options;
    private readonly TimeProvider _time;
    private readonly SinkMetrics _metrics;
    private readonly ILogger<LakeBatcher> _logger;

    /// <summary>Batches being claimed, written or committed at once.</summary>
    public const int MaxConcurrentFlushes = 2;

    /// <summary>The first delivery of every event id whose batch is being flushed.</summary>
    private readonly ConcurrentDictionary<Guid, PendingMessage> _inFlight = new();

    private int _batchesStarted;

    /// <summary>Batches whose messages have been sorted into primaries and followers (for tests).</summary>
    internal int BatchesStarted => Volatile.Read(ref _batchesStarted);

    internal LakeBatcher(ILakeWriter writer, EventClaims claims, IOptions<SinkOptions> options, TimeProvider time, SinkMetrics metrics, ILogger<LakeBatcher> logger)
    {
        _writer = writer;
        _claims = claims;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Queues the message for a batch; from here on the batch releases its line.</summary>
    internal Task<SinkOutcome> SubmitAsync(PendingMessage message, CancellationToken cancellationToken)
    {
        if (!_queue.Writer.TryWrite(message))
        {
            message.ReleaseLine();
            return Task.FromException<SinkOutcome>(new InvalidOperationException("The sink is stopping; deliver again later."));
        }
        return message.Completion.WaitAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Stopping closes the queue; what is queued is still written (the transports are waiting for it).
        await using var registration = stoppingToken.Register(() => _queue.Writer.TryComplete());
        var reader = _queue.Reader;
        var flushes = new List<Task>(MaxConcurrentFlushes);
        while (await reader.WaitToReadAsync(CancellationToken.None))
        {
            if (!reader.TryRead(out var first)) continue;
            var batch = new List<PendingMessage>(Math.Min(_options.Batch.MaxEvents, 65_536)) { first };
            var deadline = _time.GetUtcNow() + _options.Batch.MaxAge;
            while (batch.Count < _options.Batch.MaxEvents)
            {
                if (reader.TryRead(out var next))
                {
                    batch.Add(next);
                    continue;
                }
                var remaining = deadline - _time.GetUtcNow();
                if (remaining <= TimeSpan.Zero || reader.Completion.IsCompleted) break;
                // A batch big enough to be worth an object closes once nothing more arrives for MaxIdle.
                if (batch.Count >= _options.Batch.IdleMinEvents && _options.Batch.MaxIdle < remaining) remaining = _options.Batch.MaxIdle;
                using var wait = new CancellationTokenSource(remaining, _time);
                try
                {
                    if (!await reader.WaitToReadAsync(wait.Token)) break;
                }
                catch (OperationCanceledException) when (wait.IsCancellationRequested)
                {
                    break;
                }
            }
            while (flushes.Count >= MaxConcurrentFlushes)
            {
                var done = await Task.WhenAny(flushes);
                flushes.Remove(done);
                await done; // a fault that escaped FlushAsync stops the batcher, as it did with one batch at a time
            }
            flushes.Add(FlushAsync(batch));
        }
        await Task.WhenAll(flushes);
    }

    internal async Task FlushAsync(IReadOnlyList<PendingMessage> batch)
    {
        try
        {
            await FlushLinesAsync(batch);
        }
        finally
        {
            // Written, dropped as copies or failed: no line of the batch is read again.
            foreach (var m in batch) m.ReleaseLine();
        }
    }

    private async Task FlushLinesAsync(IReadOnlyList<PendingMessage> batch)
    {
        var started = Stopwatch.GetTimestamp();
        var now = _time.GetUtcNow();
        var batchId = string.Create(CultureInfo.InvariantCulture, $"{now.UtcDateTime:yyyyMMdd'T'HHmmssfff'Z'}-{Guid.NewGuid():N}");
        string ObjectOf(string directory) => $"{directory}/{batchId}.ndjson";

        // The first delivery of an id (in this batch, or in one still in flight) is the one written; later copies
        // follow its fate.
        var primaries = new Dictionary<Guid, PendingMessage>();
        var followers = new List<(PendingMessage Copy, PendingMessage Primary)>();
        var rejections = new List<PendingMessage>();
        foreach (var m in batch)
        {
            if (m.EventId is not { } id) rejections.Add(m);
            else if (primaries.TryGetValue(id, out var primary) || _inFlight.TryGetValue(id, out primary)) followers.Add((m, primary));
            else
            {
                primaries.Add(id, m);
                _inFlight[id] = m;
            }
        }
        Interlocked.Increment(ref _batchesStarted);
        try
        {
            await WriteAsync(primaries, rejections, followers, batchId, ObjectOf);
        }
        finally
        {
            // Only now that every primary is complete: a later copy either finds it here or its claim says committed.
            foreach (var id in primaries.Keys) _inFlight.TryRemove(id, out _);
        }
        _metrics.Batch(batch.Count, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Claims the primaries, writes one object per lake directory, commits, and completes every message.</summary>
    private async Task WriteAsync(Dictionary<Guid, PendingMessage> primaries, List<PendingMessage> rejections,
        List<(PendingMessage Copy, PendingMessage Primary)> followers, string batchId, Func<string, string> objectOf)
    {
        var toWrite = new List<PendingMessage>(primaries.Count + rejections.Count);
        toWrite.AddRange(rejections);
        if (primaries.Count > 0)
        {
            try
            {
                await ClaimAsync(batchId, primaries, objectOf, toWrite);
            }
            catch (Exception e)
            {
                LogClaimFailed(e, primaries.Count);
                foreach (var m in primaries.Values) m.Fail(e);
            }
        }

        // One object per lake directory (event type × date, or rejected × date).
        var objects = toWrite.GroupBy(m => m.Directory, StringComparer.Ordinal).ToList();
        var writes = objects.Select(async group =>
        {
            var name = objectOf(group.Key);
            // The rows as they are: copying them into one buffer took megabytes from the large object heap per object,
            // each zeroed and faulted in anew (page faults were a tenth of the one-core pipeline's samples).
            var rows = group.Select(m => m.Line).ToArray();
            try
            {
                await _writer.WriteAsync(name, rows, CancellationToken.None);
                return (group, (Exception?)null);
            }
            catch (Exception e)
            {
                LogWriteFailed(e, name, group.Count());
                return (group, e);
            }
        });
        var results = await Task.WhenAll(writes);

        Exception? commitError = null;
        var writtenLakeObjects = results.Where(r => r.Item2 is null && r.group.First().EventId is not null).Select(r => objectOf(r.group.Key)).ToList();
        if (writtenLakeObjects.Count > 0)
        {
            try
            {
                await _claims.CommitAsync(batchId, writtenLakeObjects, CancellationToken.None);
            }
            catch (Exception e)
            {
                // The objects are written; their ids stay pending and the next delivery finds the objects.
                LogCommitFailed(e, batchId);
                commitError = e;
            }
        }

        foreach (var (group, error) in results)
        {
            foreach (var m in group)
            {
                if (error is not null) m.Fail(error);
                else if (m.EventId is null) m.Complete(SinkOutcome.Rejected);
                else if (commitError is not null) m.Fail(commitError);
                else m.Complete(SinkOutcome.Accepted);
            }
        }
        foreach (var (copy, primary) in followers)
        {
            _ = primary.Completion.ContinueWith(
                t => { if (t.IsCompletedSuccessfully) copy.Complete(SinkOutcome.Duplicate); else copy.Fail(t.Exception?.InnerException ?? new InvalidOperationException("Write failed.")); },
                CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    private async Task ClaimAsync(string batchId, Dictionary<Guid, PendingMessage> primaries, Func<string, string> objectOf, List<PendingMessage> toWrite)
    {
        var ids = new Guid[primaries.Count];
        var objectIndexes = new int[primaries.Count];
        var objects = new List<string>();
        var indexOfDirectory = new Dictionary<string, int>(StringComparer.Ordinal);
        var n = 0;
        foreach (var (id, message) in primaries)
        {
            if (!indexOfDirectory.TryGetValue(message.Directory, out var index))
            {
                index = objects.Count;
                indexOfDirectory.Add(message.Directory, index);
                objects.Add(objectOf(message.Directory));
            }
            ids[n] = id;
            objectIndexes[n++] = index;
        }
        var notClaimed = await _claims.ClaimAsync(batchId, _options.InstanceId, ids, objectIndexes, [.. objects], _options.PendingTimeout, CancellationToken.None);

        // Added to the batch only once every id is settled: a claim that fails half way must not leave an object
        // holding some of the ids claimed for it, because committing that object would commit the others too.
        var claimed = new List<PendingMessage>(primaries.Count);
        foreach (var (id, message) in primaries)
        {
            if (!notClaimed.TryGetValue(id, out var existing))
            {
                claimed.Add(message);
            }
            else if (existing.Committed)
            {
                message.Complete(SinkOutcome.Duplicate);
            }
            else if (existing.Visible && (existing.Owner == _options.InstanceId || existing.LeaseExpired))
            {
                // Claimed by a batch that died before committing (this instance before a restart, or another one
                // whose lease ran out): its object tells whether the event made it into the lake.
                if (await _writer.ExistsAsync(existing.ObjectName!, CancellationToken.None))
                {
                    await _claims.CommitAsync(existing.BatchId!, [existing.ObjectName!], CancellationToken.None);
                    message.Complete(SinkOutcome.Duplicate);
                }
                else if (await _claims.TakeOverAsync(id, existing.BatchId!, batchId, objectOf(message.Directory), _options.InstanceId, CancellationToken.None))
                {
                    claimed.Add(message);
                }
                else
                {
                    message.Fail(new EventBusyException(id));
                }
            }
            else
            {
                // Another live sink is writing it right now: its outcome decides; ask for a redelivery later.
                message.Fail(new EventBusyException(id));
            }
        }
        toWrite.AddRange(claimed);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not claim {Count} event ids; they will be redelivered")]
    private partial void LogClaimFailed(Exception e, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not write {Object} ({Count} messages); they will be redelivered")]
    private partial void LogWriteFailed(Exception e, string @object, int count);

    [LoggerMessage(Level = LogLevel.Error, Message = "Batch {Batch} is written but could not be committed; redeliveries will find its objects")]
    private partial void LogCommitFailed(Exception e, string batch);
}

/// <summary>Another sink instance holds the event id right now; the transport should deliver it again later.</summary>
public sealed class EventBusyException(Guid eventId) : Exception($"Event {eventId} is being written by another sink instance.");
