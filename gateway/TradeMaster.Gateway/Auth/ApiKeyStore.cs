using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;

namespace TradeMaster.Gateway.Auth;

/// <summary>What an API key grants: one store, one role.</summary>
public sealed record ApiKeyGrant(int ApiKeyId, int StoreId, EmployeeRole Role);

/// <summary>
/// Looks keys up by their SHA-256 hash (the clear key is never stored) and remembers the answer briefly, so a
/// busy till does not cost a database round trip per request. A revoked key stops working within the cache time.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource, IMemoryCache cache, IOptions<GatewayOptions> options)
{
    public async Task<ApiKeyGrant?> FindAsync(string key, CancellationToken cancellationToken)
    {
        var hash = SeedDataWriter.HashApiKey(key);
        var cacheKey = $"tm-api-key:{hash}";
        if (cache.TryGetValue(cacheKey, out ApiKeyGrant? cached)) return cached;

        await using var command = dataSource.CreateCommand(
            "select api_key_id, store_id, role from api_keys where key_hash = $1 and revoked_at is null");
        command.Parameters.AddWithValue(hash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        ApiKeyGrant? grant = null;
        if (await reader.ReadAsync(cancellationToken) && WireNames.TryParseRole(reader.GetString(2), out var role))
        {
            grant = new ApiKeyGrant(reader.GetInt32(0), reader.GetInt32(1), role);
        }
        cache.Set(cacheKey, grant, new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = options.Value.ApiKeyCacheDuration,
            Size = 1,
        });
        return grant;
    }
}
