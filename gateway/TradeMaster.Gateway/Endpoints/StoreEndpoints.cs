using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Orleans;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Gateway.Auth;
using TradeMaster.Gateway.Problems;

namespace TradeMaster.Gateway.Endpoints;

/// <summary>Stores, their staff and their live stock.</summary>
internal static class StoreEndpoints
{
    private const string StoreColumns =
        "store_id, code, name, street, street_number, district, city, state, postal_code, timezone, phone, opened_on, active";

    public static RouteGroupBuilder MapStoreLookups(this RouteGroupBuilder api)
    {
        api.MapGet("/stores", ListStoresAsync)
            .WithName("ListStores").WithSummary("Every store of the chain")
            .Produces<IReadOnlyList<StoreView>>();

        api.MapGet("/stores/{storeId:int}", GetStoreAsync)
            .WithName("GetStore").WithSummary("One store")
            .Produces<StoreView>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return api;
    }

    public static RouteGroupBuilder MapStoreScopedLookups(this RouteGroupBuilder store)
    {
        store.MapGet("/employees", ListEmployeesAsync)
            .RequireAuthorization(ApiKeyDefaults.ManagerPolicy)
            .WithName("ListEmployees").WithSummary("The store's employees (manager keys only)")
            .Produces<IReadOnlyList<EmployeeView>>();

        store.MapGet("/stock/{itemId:int}", GetStockAsync)
            .WithName("GetStock").WithSummary("Live stock of one item at the store")
            .WithDescription("As the store's ledger sees it now: copies for sale, rental copies owned, out and available.")
            .Produces<StockLevel>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return store;
    }

    private static async Task<IResult> ListStoresAsync([FromServices] NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {StoreColumns} from stores order by store_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var stores = new List<StoreView>();
        while (await reader.ReadAsync(cancellationToken)) stores.Add(ReadStore(reader));
        return TypedResults.Ok(stores);
    }

    private static async Task<IResult> GetStoreAsync(int storeId, [FromServices] NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"select {StoreColumns} from stores where store_id = $1");
        command.Parameters.AddWithValue(storeId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? TypedResults.Ok(ReadStore(reader))
            : GatewayProblems.NotFound(RefusalCodes.StoreUnknown, $"There is no store {storeId}.");
    }

    private static async Task<IResult> ListEmployeesAsync(int storeId, [FromServices] NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "select employee_id, store_id, full_name, email, role, hired_on, active from employees where store_id = $1 order by employee_id");
        command.Parameters.AddWithValue(storeId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var employees = new List<EmployeeView>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var role = WireNames.TryParseRole(reader.GetString(4), out var parsedRole)
                ? parsedRole
                : throw new InvalidDataException($"employees.role holds an unknown value '{reader.GetString(4)}'.");
            employees.Add(new EmployeeView(reader.GetInt32(0), reader.GetInt32(1), reader.GetString(2), reader.GetString(3), role,
                reader.GetFieldValue<DateOnly>(5), reader.GetBoolean(6)));
        }
        return TypedResults.Ok(employees);
    }

    private static async Task<IResult> GetStockAsync(int storeId, int itemId, [FromServices] IGrainFactory grains,
        [FromServices] NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var level = await grains.GetGrain<IStoreGrain>(storeId).GetStockAsync(itemId);
        if (level is { CopiesForSale: > 0 } or { RentalCopiesOwned: > 0 }) return TypedResults.Ok(level);

        // No copies at all: a catalog item the store does not carry has zero stock, an unknown id is a 404.
        await using var command = dataSource.CreateCommand("select 1 from catalog_items where item_id = $1");
        command.Parameters.AddWithValue(itemId);
        return await command.ExecuteScalarAsync(cancellationToken) is null
            ? GatewayProblems.NotFound(RefusalCodes.ItemUnknown, $"There is no catalog item {itemId}.")
            : TypedResults.Ok(level ?? new StockLevel(storeId, itemId, 0, 0, 0));
    }

    private static StoreView ReadStore(NpgsqlDataReader r) => new(
        r.GetInt32(0), r.GetString(1), r.GetString(2), r.GetString(3), r.GetString(4), r.GetString(5), r.GetString(6),
        r.GetString(7), r.GetString(8), r.GetString(9), r.IsDBNull(10) ? null : r.GetString(10),
        r.GetFieldValue<DateOnly>(11), r.GetBoolean(12));
}
