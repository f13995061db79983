using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TradeMaster.Contracts.Events;
using TradeMaster.Gateway;
using TradeMaster.Silo.Hosting;
using TradeMaster.Testing;

namespace TradeMaster.Simulation.Tests;

/// <summary>
/// The embedded mode in one WebApplication on 127.0.0.1: a real silo on a fresh seeded PostgreSQL database,
/// the gateway, and the sink fed in-process and writing a local lake, with its Dapr topic route mapped.
/// </summary>
public sealed class EmbeddedStack : IAsyncLifetime
{
    private WebApplication? _app;

    public Uri BaseAddress { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    public string Lake { get; } = Path.Combine(Path.GetTempPath(), "tm-simulator-tests", Guid.NewGuid().ToString("N"));

    public async Task InitializeAsync()
    {
        ConnectionString = await PostgresServer.CreateDatabaseAsync("simulator");

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ApplicationName = typeof(EmbeddedStack).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:TradeMaster"] = ConnectionString,
            ["Orleans:ClusteringMode"] = "localhost",
            ["Orleans:ClusterId"] = $"simulator-tests-{Guid.NewGuid():N}",
            ["Orleans:ServiceId"] = "simulator-tests",
            ["Orleans:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ledger:CustomerKeySecret"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 7)).ToArray()),
            ["Publishing:Transport"] = "inprocess",
            ["Dashboard:Enabled"] = "false",
            ["Sink:LocalPath"] = Lake,
            ["Sink:Batch:MaxEvents"] = "500",
            ["Sink:Batch:MaxAge"] = "00:00:00.100",
            ["Sink:InstanceId"] = "simulator-tests",
        });
        builder.Services.AddSingleton<InProcessEventBus>();
        builder.AddTradeMasterSilo();
        builder.AddTradeMasterGateway();
        builder.Services.AddTradeMasterSink(builder.Configuration);

        _app = builder.Build();
        _app.UseCloudEvents();
        _app.MapTradeMasterGateway();
        _app.MapSubscribeHandler();
        _app.MapTradeMasterSink();
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        if (Directory.Exists(Lake)) Directory.Delete(Lake, recursive: true);
    }

    public async Task<int> CountAsync(string sql)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var command = dataSource.CreateCommand(sql);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Rows of the lake's NDJSON files under <paramref name="area"/> (transactions or rejected).</summary>
    public List<JsonElement> LakeRows(string area)
    {
        var root = Path.Combine(Lake, area);
        if (!Directory.Exists(root)) return [];
        var rows = new List<JsonElement>();
        foreach (var file in Directory.EnumerateFiles(root, "*.ndjson", SearchOption.AllDirectories))
        {
            foreach (var line in File.ReadAllLines(file))
            {
                if (line.Length == 0) continue;
                using var document = JsonDocument.Parse(line);
                rows.Add(document.RootElement.Clone());
            }
        }
        return rows;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
