using System.Globalization;
using System.Security.Claims;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;
using Npgsql;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;

namespace TradeMaster.Gateway.Auth;

/// <summary>
/// Looks keys up by their SHA-256 hash (the clear key is never stored) and remembers the answer briefly, so a
/// busy till does not cost a database round trip per request. A revoked key stops working within the cache time.
/// What it remembers is the user the key's requests are, made once per cached key instead of once per request:
/// nothing in the gateway changes a user after authentication (no claims transformation), so requests share it.
/// </summary>
public sealed class ApiKeyStore(NpgsqlDataSource dataSource, IMemoryCache cache, IOptions<GatewayOptions> options)
{
    /// <summary>The user a key authenticates as; null when the key is unknown or revoked.</summary>
    public async Task<ClaimsPrincipal?> FindAsync(string key, CancellationToken cancellationToken)
    {
        var hash = SeedDataWriter.HashApiKey(key);
        var cacheKey = $"tm-api-key:{hash}";
        if (cache.TryGetValue(cacheKey, out ClaimsPrincipal? cached)) return cached;

        await using var command = dataSource.CreateCommand(
            "select api_key_id, store_id, role from api_keys where key_hash = $1 and revoked_at is null");
        command.Parameters.AddWithValue(hash);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        ClaimsPrincipal? user = null;
        if (await reader.ReadAsync(cancellationToken) && WireNames.TryParseRole(reader.GetString(2), out var role))
        {
            user = UserOf(reader.GetInt32(0), reader.GetInt32(1), role);
        }
        cache.Set(cacheKey, user, new MemoryCacheEntryOptions
        {
            AbsoluteExpirationRelativeToNow = options.Value.ApiKeyCacheDuration,
            Size = 1,
        });
        return user;
    }

    /// <summary>What an API key grants, one store and one role, as claims.</summary>
    private static ClaimsPrincipal UserOf(int apiKeyId, int storeId, EmployeeRole role) => new(new ClaimsIdentity(
        [
            new Claim(ApiKeyDefaults.StoreIdClaim, storeId.ToString(CultureInfo.InvariantCulture)),
            new Claim(ApiKeyDefaults.ApiKeyIdClaim, apiKeyId.ToString(CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Role, WireNames.Of(role)),
        ],
        ApiKeyDefaults.Scheme));
}
