using System.Diagnostics;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

/// <summary>
/// Spans around every publish, following the OpenTelemetry messaging conventions. A batch can carry events of
/// several transactions, so the span links to each event's own trace (its CloudEvent <c>traceparent</c>) instead
/// of pretending to have one parent.
/// </summary>
public static class PublishingTelemetry
{
    public const string ActivitySourceName = "TradeMaster.Publishing";

    public static ActivitySource Source { get; } = new(ActivitySourceName);

    public static Activity? StartPublish(string system, string destination, IReadOnlyList<OutgoingEvent> events)
    {
        if (!Source.HasListeners()) return null;
        var links = new List<ActivityLink>(events.Count);
        foreach (var e in events)
        {
            var traceParent = CloudEventAttributes.TraceParentOf(e);
            if (traceParent is not null && ActivityContext.TryParse(traceParent, null, out var context))
            {
                links.Add(new ActivityLink(context));
            }
        }
        // A single event continues its transaction's trace; a batch starts its own and links to each.
        var single = events.Count == 1 && links.Count == 1;
        var activity = single
            ? Source.StartActivity(ActivityKind.Producer, links[0].Context, name: $"publish {destination}")
            : Source.StartActivity(ActivityKind.Producer, parentContext: default, tags: null, links: links, name: $"publish {destination}");
        if (activity is null) return null;
        activity.SetTag("messaging.system", system);
        activity.SetTag("messaging.operation.type", "send");
        activity.SetTag("messaging.destination.name", destination);
        activity.SetTag("messaging.batch.message_count", events.Count);
        if (events.Count == 1) activity.SetTag("messaging.message.id", events[0].Id);
        return activity;
    }

    public static void RecordFailure(Activity? activity, Exception error)
    {
        if (activity is null) return;
        activity.SetStatus(ActivityStatusCode.Error, error.Message);
        activity.AddException(error);
    }
}
