using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Orleans;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using TradeMaster.Gateway.Problems;

namespace TradeMaster.Gateway.Endpoints;

/// <summary>Customers are chain-wide: any store's key may find one by CPF and see their open rentals.</summary>
internal static class CustomerEndpoints
{
    public static RouteGroupBuilder MapCustomerEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/customers", FindByCpfAsync)
            .WithName("FindCustomerByCpf").WithSummary("Find a customer by CPF")
            .WithDescription("`cpf` formatted (529.982.247-25) or digits only (52998224725); check digits are verified.")
            .Produces<CustomerView>()
            .ProducesValidationProblem()
            .ProducesProblem(StatusCodes.Status404NotFound);

        api.MapGet("/customers/{customerId:int}/rentals", GetRentalsAsync)
            .WithName("GetCustomerRentals").WithSummary("A customer's open rentals, rental limit and unpaid late fees")
            .Produces<CustomerAccount>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return api;
    }

    private static async Task<IResult> FindByCpfAsync([FromQuery] string? cpf, [FromServices] NpgsqlDataSource dataSource,
        CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(cpf) || !BrazilianDocuments.IsValidCpf(cpf.Trim()))
        {
            var errors = new FieldErrors();
            errors.Add("cpf", string.IsNullOrWhiteSpace(cpf)
                ? "Is required."
                : "Is not a valid CPF: 11 digits, optionally formatted as 000.000.000-00, with valid check digits.");
            return GatewayProblems.Validation(errors);
        }
        await using var command = dataSource.CreateCommand(
            "select customer_id, cpf, full_name, email, phone, city, state, active from customers where cpf = $1");
        command.Parameters.AddWithValue(BrazilianDocuments.OnlyDigits(cpf));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return GatewayProblems.NotFound(RefusalCodes.CustomerUnknown, "No customer has this CPF.");
        }
        return TypedResults.Ok(new CustomerView(
            reader.GetInt32(0), BrazilianDocuments.FormatCpf(reader.GetString(1)), reader.GetString(2),
            reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
            reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6).Trim(),
            reader.GetBoolean(7)));
    }

    private static async Task<IResult> GetRentalsAsync(int customerId, [FromServices] IGrainFactory grains) =>
        await grains.GetGrain<ICustomerGrain>(customerId).GetAccountAsync() is { } account
            ? TypedResults.Ok(account)
            : GatewayProblems.NotFound(RefusalCodes.CustomerUnknown, $"There is no customer {customerId}.");
}
