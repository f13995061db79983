using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Orleans.Dashboard;

namespace TradeMaster.Silo.Hosting;

public static class SiloDashboard
{
    public const string RoutePrefix = "/dashboard";

    /// <summary>
    /// Serves the Orleans dashboard at /dashboard. With <c>Dashboard:Port</c> set it answers only on that port,
    /// which the silo binds to <c>Dashboard:Host</c> (127.0.0.1 by default): reachable through
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
