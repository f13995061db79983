using TradeMaster.Contracts.Ledger;
using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Npgsql;
using Orleans.Runtime;

namespace TradeMaster.Gateway.Problems;

/// <summary>
/// Keeps the promise "never a 500 for anything a client can send": request faults the framework raises become
/// 4xx ProblemDetails, an unreachable cluster or database becomes 503, and only real bugs fall through to 500.
/// </summary>
public sealed partial class GatewayExceptionHandler(ILogger<GatewayExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (httpContext.Response.HasStarted) return false;
        var (status, code, title, detail) = Classify(exception, httpContext.RequestAborted);
        if (status is null) return false;
        if (status >= 500) LogUnavailable(logger, code!, exception);
        await GatewayProblems.WriteAsync(httpContext, status.Value, code!, title!, detail);
        return true;
    }

    private static (int? Status, string? Code, string? Title, string? Detail) Classify(Exception exception, CancellationToken aborted) =>
        exception switch
        {
            BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } =>
                (413, ProblemCodes.PayloadTooLarge, "Payload too large.", "The request body is larger than this endpoint accepts."),
            BadHttpRequestException { StatusCode: StatusCodes.Status415UnsupportedMediaType } =>
                (415, ProblemCodes.UnsupportedMediaType, "Unsupported media type.", "Send the body as application/json."),
            BadHttpRequestException bad =>
                (bad.StatusCode is >= 400 and < 500 ? bad.StatusCode : 400, ProblemCodes.BadRequest, "Bad request.", bad.Message),
            JsonException json =>
                (400, ProblemCodes.MalformedJson, "The request body is not valid JSON.", json.Message),
            OperationCanceledException when aborted.IsCancellationRequested =>
                // The client went away; nobody reads this answer, but it must not be counted as a fault.
                (499, ProblemCodes.BadRequest, "Client closed request.", null),
            OrleansException or TimeoutException or LedgerUnavailableException =>
                (503, ProblemCodes.LedgerUnavailable, "The ledger is unavailable.", "The store ledger did not answer; retry with the same transaction id."),
            NpgsqlException { InnerException: not PostgresException } and not PostgresException =>
                (503, ProblemCodes.DatabaseUnavailable, "The database is unavailable.", "Retry shortly."),
            _ => (null, null, null, null),
        };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Answered 503 ({Code}) because a dependency failed")]
    private static partial void LogUnavailable(ILogger logger, string code, Exception exception);
}
