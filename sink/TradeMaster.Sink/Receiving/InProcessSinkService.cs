using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Events;
using TradeMaster.Sink.Batching;
using TradeMaster.Sink.Transform;

namespace TradeMaster.Sink.Receiving;

/// <summary>
/// The embedded mode's subscriber: drains the in-process bus (when the host registered one) into the sink,
/// many deliveries at once so that batches fill, acknowledging each delivery only once its event is durable.
/// </summary>
internal sealed partial class InProcessSinkService(IServiceProvider services, SinkHandler handler, IOptions<SinkOptions> options, ILogger<InProcessSinkService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var bus = services.GetService<InProcessEventBus>();
        if (bus is null) return;
        // Not disposed: handlers still running at shutdown release it after this method returned.
        // Enough deliveries for the batches being flushed plus one filling meanwhile.
        var inFlight = new SemaphoreSlim(Math.Max(1, options.Value.Batch.MaxEvents * (LakeBatcher.MaxConcurrentFlushes + 1)));
        try
        {
            await foreach (var delivery in bus.Reader.ReadAllAsync(stoppingToken))
            {
                await inFlight.WaitAsync(stoppingToken);
                _ = HandleAsync(delivery, inFlight, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task HandleAsync(InProcessDelivery delivery, SemaphoreSlim inFlight, CancellationToken stoppingToken)
    {
        // Taken, not held: the lake row is a copy, so the event's JSON can be collected while the row waits for its
        // batch (only its id is kept, for the log).
        var taken = delivery.TakeEvent();
        var eventId = taken.Id;
        try
        {
            await handler.HandleAsync(taken.Json, null, new MessageSource("inprocess", Messaging.TransactionsTopic, eventId), stoppingToken);
            delivery.Acknowledge();
        }
        catch (OperationCanceledException e) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the event stays unacknowledged and is published again by the next run.
            delivery.Fail(e);
        }
        catch (Exception e)
        {
            LogFailed(e, eventId);
            delivery.Fail(e);
        }
        finally
        {
            inFlight.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Event {EventId} is not durable; the publisher will send it again")]
    private partial void LogFailed(Exception e, string eventId);
}
