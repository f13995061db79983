using System.Diagnostics;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Npgsql;
using Orleans;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Gateway.Problems;
using TradeMaster.Gateway.Requests;
using TradeMaster.Gateway.Telemetry;

namespace TradeMaster.Gateway.Endpoints;

/// <summary>Sales, rentals, returns and late fee payments: the store's writes, each one call to the store's ledger grain.</summary>
internal static class TransactionEndpoints
{
    public static RouteGroupBuilder MapTransactionEndpoints(this RouteGroupBuilder store)
    {
        store.MapPost("/sales", SellAsync)
            .WithName("CreateSale")
            .WithSummary("Record a sale")
            .WithDescription("Sells one or more items at the store. Prices and the total come from the catalog. " +
                "A retry with the same transaction id (body or Idempotency-Key header) gets the same status and body.")
            .Accepts<SaleBody>("application/json")
            .DescribeTransaction();

        store.MapPost("/rentals", RentAsync)
            .WithName("CreateRental")
            .WithSummary("Record a rental")
            .WithDescription("Rents copies to a customer for a number of days, paid up front; answers the due date and total.")
            .Accepts<RentalBody>("application/json")
            .DescribeTransaction();

        store.MapPost("/returns", ReturnAsync)
            .WithName("CreateReturn")
            .WithSummary("Record a return")
            .WithDescription("Closes a rental taken at this store; answers the late days and late fee.")
            .Accepts<ReturnBody>("application/json")
            .DescribeTransaction();

        store.MapPost("/late-fee-payments", PayLateFeeAsync)
            .WithName("CreateLateFeePayment")
            .WithSummary("Pay a late fee a return left owed")
            .WithDescription("Pays the whole late fee the return of a rental left unpaid, at the store that took the return; " +
                "the amount is the fee as recorded. Once paid, the fee no longer blocks the customer's new rentals.")
            .Accepts<LateFeePaymentBody>("application/json")
            .DescribeTransaction();

        store.MapGet("/transactions/{transactionId:guid}", GetTransactionAsync)
            .WithName("GetTransaction")
            .WithSummary("A recorded transaction")
            .WithDescription("The history record of a transaction (the Location of a 201). The ledger writes it just after " +
                "answering, so for a moment after a 201 this may still be 404 transaction_unknown.")
            .Produces<TransactionRecord>()
            .ProducesProblem(StatusCodes.Status404NotFound);

        return store;
    }

    private static RouteHandlerBuilder DescribeTransaction(this RouteHandlerBuilder endpoint) => endpoint
        .Produces<Receipt>(StatusCodes.Status201Created)
        .ProducesValidationProblem()
        .ProducesProblem(StatusCodes.Status404NotFound)
        .ProducesProblem(StatusCodes.Status409Conflict)
        .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
        .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
        .ProducesProblem(StatusCodes.Status422UnprocessableEntity)
        .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

    private static Task<IResult> SellAsync(int storeId, HttpContext context, [FromServices] TransactionRequests requests,
        [FromServices] IGrainFactory grains, [FromServices] IOptions<GatewayOptions> options) =>
        HandleAsync(context, options.Value, TransactionKind.Sale, storeId,
            (body, key, errors) => requests.ParseSale(body, key, errors),
            command => grains.Reference<IStoreGrain>(storeId).SellAsync(command), command => command.TransactionId);

    private static Task<IResult> RentAsync(int storeId, HttpContext context, [FromServices] TransactionRequests requests,
        [FromServices] IGrainFactory grains, [FromServices] IOptions<GatewayOptions> options) =>
        HandleAsync(context, options.Value, TransactionKind.Rental, storeId,
            (body, key, errors) => requests.ParseRental(body, key, errors),
            command => grains.Reference<IStoreGrain>(storeId).RentAsync(command), command => command.TransactionId);

    private static Task<IResult> ReturnAsync(int storeId, HttpContext context, [FromServices] TransactionRequests requests,
        [FromServices] IGrainFactory grains, [FromServices] IOptions<GatewayOptions> options) =>
        HandleAsync(context, options.Value, TransactionKind.Return, storeId,
            (body, key, errors) => requests.ParseReturn(body, key, errors),
            command => grains.Reference<IStoreGrain>(storeId).ReturnAsync(command), command => command.TransactionId);

    private static Task<IResult> PayLateFeeAsync(int storeId, HttpContext context, [FromServices] TransactionRequests requests,
        [FromServices] IGrainFactory grains, [FromServices] IOptions<GatewayOptions> options) =>
        HandleAsync(context, options.Value, TransactionKind.LateFeePayment, storeId,
            (body, key, errors) => requests.ParseLateFeePayment(body, key, errors),
            command => grains.Reference<IStoreGrain>(storeId).PayLateFeeAsync(command), command => command.TransactionId);

    private static async Task<IResult> HandleAsync<TCommand>(
        HttpContext context, GatewayOptions options, TransactionKind kind, int storeId,
        Func<JsonElement, string?, FieldErrors, TCommand?> parse,
        Func<TCommand, Task<TransactionOutcome>> call,
        Func<TCommand, Guid> idOf)
        where TCommand : class
    {
        var read = await JsonBody.ReadAsync(context.Request, options.MaxRequestBodyBytes, context.RequestAborted);
        if (read.Problem is not null) return read.Problem;
        using var document = read.Document!;

        var errors = new FieldErrors();
        var idempotencyKey = context.Request.Headers.TryGetValue(TransactionRequests.IdempotencyKeyHeader, out var header)
            ? header.ToString()
            : null;
        var command = parse(document.RootElement, idempotencyKey, errors);
        if (command is null) return GatewayProblems.Validation(errors);

        var wire = WireNames.Of(kind);
        using var activity = GatewayTelemetry.Source.StartActivity($"ledger {wire}", ActivityKind.Internal);
        activity?.SetTag("tm.store_id", storeId);
        activity?.SetTag("tm.transaction_id", idOf(command));
        var outcome = await call(command);
        var answer = LedgerAnswers.From(outcome, storeId);
        activity?.SetTag("tm.outcome", outcome.Accepted ? "accepted" : outcome.Refusal?.Code);
        GatewayTelemetry.Count(wire, outcome.Accepted ? "accepted" : "refused", outcome.Refusal?.Code);
        return answer;
    }

    private static async Task<IResult> GetTransactionAsync(int storeId, Guid transactionId,
        [FromServices] NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            """
            select transaction_id, store_id, kind, status, event_id, event_type, occurred_at, local_date, recorded_at
            from ledger_transactions where transaction_id = $1 and store_id = $2
            """);
        command.Parameters.AddWithValue(transactionId);
        command.Parameters.AddWithValue(storeId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return GatewayProblems.NotFound(ProblemCodes.TransactionUnknown,
                $"Store {storeId} has no recorded transaction {transactionId}.");
        }
        return TypedResults.Ok(new TransactionRecord(
            reader.GetGuid(0), reader.GetInt32(1), ParseKind(reader.GetString(2)), reader.GetString(3), reader.GetGuid(4),
            reader.GetString(5), reader.GetFieldValue<DateTimeOffset>(6), reader.GetFieldValue<DateOnly>(7),
            reader.GetFieldValue<DateTimeOffset>(8)));
    }

    private static TransactionKind ParseKind(string wire) => wire switch
    {
        "sale" => TransactionKind.Sale,
        "rental" => TransactionKind.Rental,
        "late_fee_payment" => TransactionKind.LateFeePayment,
        _ => TransactionKind.Return,
    };
}

/// <summary>
/// Maps a ledger outcome to HTTP. The answer depends on the outcome alone (no trace id, no clock), so a retry
/// that gets the stored outcome back gets a byte-identical response.
/// </summary>
public static class LedgerAnswers
{
    public static IResult From(TransactionOutcome outcome, int storeId)
    {
        if (outcome.Receipt is { } receipt)
        {
            return TypedResults.Created($"/api/v1/stores/{storeId}/transactions/{receipt.TransactionId}", receipt);
        }
        var refusal = outcome.Refusal ?? new Refusal("internal_error", "The ledger answered neither a receipt nor a refusal.");
        var status = RefusalCodes.HttpStatus(refusal.Code);
        var (section, title) = status switch
        {
            StatusCodes.Status409Conflict => ("15.5.10", "This transaction id was already used for a different request."),
            StatusCodes.Status404NotFound => ("15.5.5", "Something the request names does not exist."),
            _ => ("15.5.21", "The ledger refused the transaction."),
        };
        var problem = new ProblemDetails
        {
            Type = $"https://tools.ietf.org/html/rfc9110#section-{section}",
            Title = title,
            Status = status,
            Detail = refusal.Message,
            Extensions =
            {
                [GatewayProblems.CodeKey] = refusal.Code,
                ["transactionId"] = outcome.TransactionId,
            },
        };
        if (refusal.ItemId is { } itemId) problem.Extensions["itemId"] = itemId;
        if (outcome.EventId is { } eventId) problem.Extensions["eventId"] = eventId;
        return TypedResults.Json(problem, contentType: "application/problem+json", statusCode: status);
    }
}
