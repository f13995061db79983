using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.Dashboard;

namespace TradeMaster.Silo.Hosting;

public static class SiloDashboard
{
    public const string RoutePrefix = "/dashboard";

    /// <summary>
    /// Adds <c>http://{Dashboard:Host}:{Dashboard:Port}</c> (127.0.0.1 by default) to the addresses the server
    /// listens on, next to whatever <c>Urls</c> says, so the dashboard gets its own loopback-only listener.
    /// </summary>
    public static IHostApplicationBuilder AddTradeMasterSiloDashboardListener(this IHostApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        if (!configuration.GetValue("Dashboard:Enabled", true) || configuration.GetValue<int?>("Dashboard:Port") is not { } port) return builder;
        var address = $"http://{configuration["Dashboard:Host"] ?? "127.0.0.1"}:{port}";
        var urls = (configuration["Urls"] ?? "http://localhost:5000").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (!urls.Contains(address, StringComparer.OrdinalIgnoreCase))
        {
            configuration["Urls"] = string.Join(';', urls.Append(address));
        }
        return builder;
    }

    /// <summary>
    /// Serves the Orleans dashboard at /dashboard. With <c>Dashboard:Port</c> set it answers only on that port,
    /// which <see cref="AddTradeMasterSiloDashboardListener"/> binds to <c>Dashboard:Host</c> (127.0.0.1 by default): reachable through
    /// <c>kubectl port-forward</c>, never from the cluster network. Without it (embedded mode) the whole app
    /// listens on loopback anyway.
    /// </summary>
    public static WebApplication MapTradeMasterSiloDashboard(this WebApplication app)
    {
        if (!app.Configuration.GetValue("Dashboard:Enabled", true)) return app;
        var dashboard = app.MapOrleansDashboard(routePrefix: RoutePrefix);
        if (app.Configuration.GetValue<int?>("Dashboard:Port") is { } port)
        {
            dashboard.RequireHost($"*:{port}");
        }
        return app;
    }
}
