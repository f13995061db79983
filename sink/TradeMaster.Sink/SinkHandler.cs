using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using TradeMaster.Sink.Batching;
using TradeMaster.Sink.Transform;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Sink;

/// <summary>
/// The one handler behind the three transports (Dapr, Pub/Sub push, in-process): validate, transform or record
/// the rejection, hand to the batcher, and return only when the message is durable. An exception means "not
/// durable, deliver again" (Dapr RETRY, Pub/Sub non-2xx, in-process Fail).
/// </summary>
public sealed class SinkHandler(EventValidator validator, LakeBatcher batcher, RowArena rows, SinkMetrics metrics, TimeProvider time)
{
    // One row buffer per thread: a row is copied into the arena before the handler first awaits.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_row;

    // The lake directory of the last row this thread wrote: consecutive events mostly share type and day.
    [ThreadStatic]
    private static (string Type, byte[] LocalDate, string Directory)? t_lastDirectory;

    /// <summary>
    /// Validates and transforms on the caller's thread, then waits for the batch. The body is not held while it
    /// waits (the row is a copy in the arena), so a transport that lets go of it lets it be collected.
    /// </summary>
    public Task<SinkOutcome> HandleAsync(ReadOnlyMemory<byte> body, string? contentType, MessageSource source, CancellationToken cancellationToken)
    {
        Prepared prepared;
        try
        {
            prepared = Prepare(body, contentType, source);
        }
        catch (Exception e)
        {
            return Task.FromException<SinkOutcome>(e);
        }
        return SubmitAsync(prepared, cancellationToken);
    }

    private Prepared Prepare(ReadOnlyMemory<byte> body, string? contentType, MessageSource source)
    {
        metrics.Received(source.Transport);
        var receivedAt = time.GetUtcNow();
        using var validated = validator.Validate(body, contentType);
        var buffer = t_row ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        if (validated.IsValid)
        {
            var root = validated.Document!.RootElement;
            AnalyticsRow.Write(buffer, root, source, receivedAt);
            var eventType = validated.EventType!;
            var directory = TransactionsDirectory(eventType, root.GetProperty("data"u8).GetProperty("local_date"u8));
            return new Prepared(new PendingMessage(Guid.Parse(validated.EventId!), directory, rows.Append(buffer.WrittenSpan)), eventType, null);
        }
        var errors = validated.Errors;
        RejectionRecord.Write(buffer, body.Span, validated.Document is not null, validated.EventId, errors, source, receivedAt);
        return new Prepared(new PendingMessage(null, $"rejected/dt={receivedAt.UtcDateTime:yyyy-MM-dd}", rows.Append(buffer.WrittenSpan)), null, errors);
    }

    private async Task<SinkOutcome> SubmitAsync(Prepared prepared, CancellationToken cancellationToken)
    {
        SinkOutcome outcome;
        try
        {
            outcome = await batcher.SubmitAsync(prepared.Message, cancellationToken);
        }
        catch
        {
            metrics.Failed();
            throw;
        }
        switch (outcome)
        {
            case SinkOutcome.Accepted: metrics.Accepted(prepared.EventType!); break;
            case SinkOutcome.Duplicate: metrics.Duplicate(); break;
            case SinkOutcome.Rejected: metrics.Rejected(prepared.Errors!.Select(e => e.Code).Distinct()); break;
        }
        return outcome;
    }

    /// <summary>A message ready for its batch: the event type of a lake row, or the reasons of a rejection.</summary>
    private readonly record struct Prepared(PendingMessage Message, string? EventType, IReadOnlyList<ValidationError>? Errors);

    private static string TransactionsDirectory(string eventType, JsonElement localDate)
    {
        var raw = JsonMarshal.GetRawUtf8Value(localDate);
        if (t_lastDirectory is { } last && last.Type == eventType && raw.SequenceEqual(last.LocalDate)) return last.Directory;
        var directory = $"transactions/event_type={eventType}/dt={localDate.GetString()}";
        t_lastDirectory = (eventType, raw.ToArray(), directory);
        return directory;
    }

    /// <summary>Records a message that failed before it could even be read as a CloudEvent (e.g. a broken push envelope).</summary>
    public async Task<SinkOutcome> RejectAsync(ReadOnlyMemory<byte> raw, bool rawIsJson, IReadOnlyList<ValidationError> errors, MessageSource source, CancellationToken cancellationToken)
    {
        metrics.Received(source.Transport);
        var receivedAt = time.GetUtcNow();
        var buffer = new ArrayBufferWriter<byte>(raw.Length + 512);
        RejectionRecord.Write(buffer, raw.Span, rawIsJson, null, errors, source, receivedAt);
        var pending = new PendingMessage(null, $"rejected/dt={receivedAt.UtcDateTime:yyyy-MM-dd}", rows.Append(buffer.WrittenSpan));
        try
        {
            await batcher.SubmitAsync(pending, cancellationToken);
        }
        catch
        {
            metrics.Failed();
            throw;
        }
        metrics.Rejected(errors.Select(e => e.Code).Distinct());
        return SinkOutcome.Rejected;
    }
}
