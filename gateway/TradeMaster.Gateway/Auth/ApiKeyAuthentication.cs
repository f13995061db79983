using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using TradeMaster.Gateway.Problems;

namespace TradeMaster.Gateway.Auth;

public static class ApiKeyDefaults
{
    public const string Scheme = "TradeMasterApiKey";
    public const string HeaderName = "X-Api-Key";
    public const string StoreIdClaim = "tm:store_id";
    public const string ApiKeyIdClaim = "tm:api_key_id";

    /// <summary>Any valid key, clerk or manager.</summary>
    public const string AnyRolePolicy = "tm:any-role";

    public const string ManagerPolicy = "tm:manager";
}

public sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions;

/// <summary>
/// Authenticates <c>X-Api-Key: KEY</c> or <c>Authorization: Bearer KEY</c>, and answers 401/403 as
/// ProblemDetails with a stable code instead of the framework's empty bodies.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyStore keys)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var key = KeyFrom(Request);
        if (key is null) return AuthenticateResult.NoResult();
        var user = await keys.FindAsync(key, Context.RequestAborted);
        return user is null
            ? AuthenticateResult.Fail("The API key is unknown or revoked.")
            : AuthenticateResult.Success(new AuthenticationTicket(user, Scheme.Name));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var outcome = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = "Bearer";
        var detail = outcome.Failure?.Message
            ?? $"Send your key in the {ApiKeyDefaults.HeaderName} header or as Authorization: Bearer <key>.";
        await GatewayProblems.WriteAsync(Context, StatusCodes.Status401Unauthorized, ProblemCodes.Unauthenticated,
            "Authentication required.", detail);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        GatewayProblems.WriteAsync(Context, StatusCodes.Status403Forbidden, ProblemCodes.ForbiddenRole,
            "Forbidden.", "This API key's role may not use this endpoint.").AsTask();

    private static string? KeyFrom(HttpRequest request)
    {
        var header = request.Headers[ApiKeyDefaults.HeaderName].ToString();
        if (!string.IsNullOrWhiteSpace(header)) return header.Trim();
        var authorization = request.Headers.Authorization.ToString();
        const string bearer = "Bearer ";
        if (authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) && authorization.Length > bearer.Length)
        {
            return authorization[bearer.Length..].Trim();
        }
        return null;
    }
}

/// <summary>Nobody posts for, or reads the back office of, another store: the key's store must be {storeId}.</summary>
public sealed class StoreScopeFilter : IEndpointFilter
{
    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var routeStore = http.GetRouteValue("storeId")?.ToString();
        // The claim holds the store id as invariant digits, as the route does for the same store.
        var keyStore = http.User.FindFirstValue(ApiKeyDefaults.StoreIdClaim);
        if (keyStore is null || routeStore != keyStore)
        {
            return ValueTask.FromResult<object?>(GatewayProblems.Problem(
                StatusCodes.Status403Forbidden, ProblemCodes.ForbiddenStore, "Forbidden.",
                $"This API key belongs to store {keyStore}; it cannot act for store {routeStore}."));
        }
        return next(context);
    }
}
