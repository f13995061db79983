using System.Globalization;
using Microsoft.AspNetCore.Mvc;
using Npgsql;
using Orleans;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Gateway.Problems;

namespace TradeMaster.Gateway.Endpoints;

/// <summary>The catalog: search (SQL, trigram index on the title) and per-item views (item grain).</summary>
internal static class ItemEndpoints
{
    public const int PageSize = 50;
    public const int MaxPage = 10_000;
    public const int MaxQueryLength = 100;

    public static RouteGroupBuilder MapItemEndpoints(this RouteGroupBuilder api)
    {
        api.MapGet("/items", SearchAsync)
            .WithName("SearchItems").WithSummary("Search the catalog")
            .WithDescription($"Active items whose title contains `query` (case-insensitive), or whose EAN/ISBN equals it; " +
                $"optionally of one `mediaType`. {PageSize} per page, ordered by title then id; `page` starts at 1.")
            .Produces<ItemPage>()
            .ProducesValidationProblem();

        api.MapGet("/items/{itemId:int}", GetItemAsync)
            .WithName("GetItem").WithSummary("One catalog item")
            .Produces<ItemDetails>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);

        api.MapGet("/items/{itemId:int}/availability", GetAvailabilityAsync)
            .WithName("GetItemAvailability").WithSummary("Where the item can be bought or rented: stock per store")
            .Produces<ItemAvailability>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return api;
    }

    private static async Task<IResult> SearchAsync(
        [FromQuery] string? query, [FromQuery] string? mediaType, [FromQuery] string? page,
        [FromServices] NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        var errors = new FieldErrors();
        var text = string.IsNullOrWhiteSpace(query) ? null : query.Trim();
        if (text is { Length: > MaxQueryLength }) errors.Add("query", $"At most {MaxQueryLength} characters.");
        string? type = null;
        if (!string.IsNullOrEmpty(mediaType))
        {
            if (WireNames.TryParseMediaType(mediaType, out var parsed)) type = WireNames.Of(parsed);
            else errors.Add("mediaType", $"Unknown media type '{mediaType}'; use book, movie or series_dvd.");
        }
        var pageNumber = 1;
        if (page is not null && (!int.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out pageNumber)
            || pageNumber < 1 || pageNumber > MaxPage))
        {
            errors.Add("page", $"Must be an integer from 1 to {MaxPage}.");
        }
        if (!errors.IsEmpty) return GatewayProblems.Validation(errors);

        var code = text is { Length: 13 } && text.All(char.IsAsciiDigit) ? text : null;
        await using var command = dataSource.CreateCommand(
            """
            select item_id, title, media_type, genre, creator, release_year, ean, isbn, sale_price, daily_rental_price, sellable, rentable
            from catalog_items
            where active
              and ($1::text is null or title ilike $1 or ean = $2 or isbn = $2)
              and ($3::text is null or media_type = $3)
            order by title, item_id
            limit $4 offset $5
            """);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, text is null ? DBNull.Value : $"%{EscapeLike(text)}%");
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)code ?? DBNull.Value);
        command.Parameters.AddWithValue(NpgsqlTypes.NpgsqlDbType.Text, (object?)type ?? DBNull.Value);
        command.Parameters.AddWithValue(PageSize + 1);
        command.Parameters.AddWithValue((pageNumber - 1) * PageSize);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new List<ItemSummary>(PageSize + 1);
        while (await reader.ReadAsync(cancellationToken))
        {
            var itemType = WireNames.TryParseMediaType(reader.GetString(2), out var parsedType)
                ? parsedType
                : throw new InvalidDataException($"catalog_items.media_type holds an unknown value '{reader.GetString(2)}'.");
            items.Add(new ItemSummary(
                reader.GetInt32(0), reader.GetString(1), itemType, reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetInt16(5),
                reader.IsDBNull(6) ? null : reader.GetString(6), reader.IsDBNull(7) ? null : reader.GetString(7),
                reader.GetDecimal(8), reader.GetDecimal(9), reader.GetBoolean(10), reader.GetBoolean(11)));
        }
        var hasMore = items.Count > PageSize;
        if (hasMore) items.RemoveAt(PageSize);
        return TypedResults.Ok(new ItemPage(pageNumber, PageSize, hasMore, items));
    }

    private static async Task<IResult> GetItemAsync(int itemId, [FromServices] IGrainFactory grains) =>
        await grains.GetGrain<IItemGrain>(itemId).GetDetailsAsync() is { } details
            ? TypedResults.Ok(details)
            : GatewayProblems.NotFound(RefusalCodes.ItemUnknown, $"There is no catalog item {itemId}.");

    private static async Task<IResult> GetAvailabilityAsync(int itemId, [FromServices] IGrainFactory grains) =>
        await grains.GetGrain<IItemGrain>(itemId).GetAvailabilityAsync() is { } availability
            ? TypedResults.Ok(availability)
            : GatewayProblems.NotFound(RefusalCodes.ItemUnknown, $"There is no catalog item {itemId}.");

    /// <summary>A user's % or _ are letters to look for, not wildcards.</summary>
    private static string EscapeLike(string text) =>
        text.Replace(@"\", @"\\", StringComparison.Ordinal)
            .Replace("%", @"\%", StringComparison.Ordinal)
            .Replace("_", @"\_", StringComparison.Ordinal);
}
