using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Scalar.AspNetCore;
using TradeMaster.Db;
using TradeMaster.Db.Health;
using TradeMaster.Gateway.Auth;
using TradeMaster.Gateway.Endpoints;
using TradeMaster.Gateway.Health;
using TradeMaster.Gateway.OpenApi;
using TradeMaster.Gateway.Problems;
using TradeMaster.Gateway.Requests;
using TradeMaster.Gateway.Telemetry;

namespace TradeMaster.Gateway;

public static class GatewayHostingExtensions
{
    public const string ApiPrefix = "/api/v1";

    /// <summary>
    /// Registers the REST gateway: API-key authentication, ProblemDetails, JSON conventions, OpenAPI, health checks
    /// and telemetry. The host supplies the grains: a co-hosted silo (embedded mode) or
    /// <see cref="OrleansClientExtensions.AddTradeMasterOrleansClient"/> (distributed mode).
    /// </summary>
    public static IHostApplicationBuilder AddTradeMasterGateway(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<GatewayOptions>().BindConfiguration(GatewayOptions.SectionName);
        services.AddOptions<TransactionLimits>().BindConfiguration(TransactionLimits.SectionName);
        services.AddSingleton(sp => new TransactionRequests(sp.GetRequiredService<IOptions<TransactionLimits>>().Value));
        services.AddTradeMasterDatabase(builder.Configuration);

        services.ConfigureHttpJsonOptions(json =>
        {
            // camelCase properties come with the web defaults; enums travel as the wire names (debit_card, series_dvd).
            json.SerializerOptions.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower, allowIntegerValues: false));
        });

        services.AddProblemDetails(options => options.CustomizeProblemDetails = context =>
        {
            // Every problem carries a machine-readable code, including the framework's own 404/405/500.
            context.ProblemDetails.Extensions.TryAdd(GatewayProblems.CodeKey,
                ProblemCodes.ForStatus(context.ProblemDetails.Status ?? context.HttpContext.Response.StatusCode));
        });
        services.AddExceptionHandler<GatewayExceptionHandler>();

        services.AddMemoryCache();
        services.AddSingleton<ApiKeyStore>();
        // The API key is the default scheme: the authentication middleware reads it once per request, and the
        // policies check the user it made. (Naming the scheme in each policy as well made the authorization
        // middleware authenticate every request a second time.)
        services.AddAuthentication(ApiKeyDefaults.Scheme)
            .AddScheme<ApiKeyAuthenticationOptions, ApiKeyAuthenticationHandler>(ApiKeyDefaults.Scheme, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(ApiKeyDefaults.AnyRolePolicy, policy => policy
                .RequireAuthenticatedUser()
                .RequireRole("clerk", "manager"))
            .AddPolicy(ApiKeyDefaults.ManagerPolicy, policy => policy
                .RequireAuthenticatedUser()
                .RequireRole("manager"));

        services.AddOpenApi(options =>
        {
            var security = new ApiKeySecurityTransformer();
            options.AddDocumentTransformer(security);
            options.AddOperationTransformer(security);
        });

        services.AddHealthChecks()
            .AddCheck<PostgresReadinessCheck>("postgres", tags: ["ready"])
            .AddCheck<SiloReadinessCheck>("silo", tags: ["ready"]);

        AddTelemetry(builder);
        return builder;
    }

    /// <summary>Maps the API under /api/v1, the health endpoints, /openapi/v1.json and the Scalar UI at /scalar.</summary>
    public static WebApplication MapTradeMasterGateway(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();

        var api = app.MapGroup(ApiPrefix)
            .RequireAuthorization(ApiKeyDefaults.AnyRolePolicy)
            .AddEndpointFilter<HttpsRequirementFilter>()
            .ProducesProblem(StatusCodes.Status401Unauthorized)
            .ProducesProblem(StatusCodes.Status403Forbidden);
        api.MapStoreLookups().WithTags("Stores");
        api.MapItemEndpoints().WithTags("Catalog");
        api.MapCustomerEndpoints().WithTags("Customers");

        var store = api.MapGroup("/stores/{storeId:int}").AddEndpointFilter<StoreScopeFilter>();
        store.MapStoreScopedLookups().WithTags("Stores");
        store.MapTransactionEndpoints().WithTags("Transactions");

        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false }).ExcludeFromDescription();
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") })
            .ExcludeFromDescription();

        app.MapOpenApi();
        app.MapScalarApiReference(options => options.WithTitle("TradeMaster store API"));
        return app;
    }

    /// <summary>
    /// Traces (requests, grain calls, PostgreSQL commands) and metrics, exported over OTLP where a collector is
    /// configured (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>). Without one nothing is recorded: every span is an Activity
    /// with tags on every request and command, which cost the embedded benchmark about a tenth of its allocations
    /// for data nobody could read. (Orleans and ASP.NET Core still start their activities for any other listener.)
    /// </summary>
    private static void AddTelemetry(IHostApplicationBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"])) return;
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing
                .AddSource(GatewayTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "TradeMaster.*", "Npgsql")
                .AddAspNetCoreInstrumentation(options =>
                    options.Filter = context => !context.Request.Path.StartsWithSegments("/health")))
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddMeter(GatewayTelemetry.Name, "Microsoft.Orleans", "TradeMaster.*"))
            .UseOtlpExporter();
    }

    /// <summary>With Gateway:RequireHttps, plain-HTTP calls are refused rather than redirected (an API client would
    /// have sent its key in clear already; a redirect would hide that).</summary>
    private sealed class HttpsRequirementFilter(IOptions<GatewayOptions> options) : IEndpointFilter
    {
        public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next) =>
            options.Value.RequireHttps && !context.HttpContext.Request.IsHttps
                ? ValueTask.FromResult<object?>(GatewayProblems.Problem(StatusCodes.Status400BadRequest,
                    ProblemCodes.HttpsRequired, "HTTPS required.", "This API only accepts HTTPS."))
                : next(context);
    }
}
