using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace TradeMaster.Sink.Receiving;

/// <summary>The Dapr delivery exactly as it arrived, before any middleware touched it.</summary>
internal sealed record RawCloudEventBody(byte[] Body, string? ContentType);

/// <summary>
/// Dapr's <c>UseCloudEvents()</c> replaces a structured CloudEvent by its <c>data</c> (the sink needs the envelope
/// verbatim: id, type, source, and the whole message for the rejected set) and answers 500 on malformed JSON,
/// which Dapr retries forever. This filter runs first in the pipeline and, for the sink's topic route only,
/// keeps the original bytes and content type aside and hides the CloudEvent content type from that middleware.
/// Every other route of the host still gets <c>UseCloudEvents()</c> as usual.
/// </summary>
internal sealed class RawCloudEventStartupFilter : IStartupFilter
{
    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        app.Use(async (context, nextMiddleware) =>
        {
            if (HttpMethods.IsPost(context.Request.Method) && context.Request.Path.Equals(SinkRoutes.DaprTopic, StringComparison.OrdinalIgnoreCase))
            {
                using var buffer = new MemoryStream();
                await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
                var bytes = buffer.ToArray();
                context.Features.Set(new RawCloudEventBody(bytes, context.Request.ContentType));
                context.Request.Body = new MemoryStream(bytes, writable: false);
                context.Request.ContentType = "application/octet-stream";
            }
            await nextMiddleware(context);
        });
        next(app);
    };
}

/// <summary>Routes of the sink.</summary>
public static class SinkRoutes
{
    public const string DaprTopic = "/sink/dapr/transactions";
    public const string PubSubPush = "/sink/pubsub/push";
}
