using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using TradeMaster.Silo.Hosting;
using TradeMaster.Testing;

namespace TradeMaster.Gateway.Tests;

/// <summary>
/// The embedded mode in miniature: one WebApplication hosting a real silo (membership and grain state in a
/// fresh seeded PostgreSQL database, in-process publishing) and the gateway, on Kestrel at 127.0.0.1.
/// </summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private int _nextItem;
    private IReadOnlyList<int> _sellable = [];

    public Uri BaseAddress { get; private set; } = null!;

    public string ConnectionString { get; private set; } = null!;

    public NpgsqlDataSource Database { get; private set; } = null!;

    public string ClusterId { get; } = $"gateway-tests-{Guid.NewGuid():N}";

    public string ServiceId { get; } = "gateway-tests";

    public async Task InitializeAsync()
    {
        ConnectionString = await PostgresServer.CreateDatabaseAsync("gateway");
        Database = NpgsqlDataSource.Create(ConnectionString);

        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = Environments.Production,
            ApplicationName = typeof(GatewayFixture).Assembly.GetName().Name,
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:TradeMaster"] = ConnectionString,
            // Orleans:Clustering is left unset (ADO.NET clustering in the test database): Orleans itself reads a
            // value at Orleans:Clustering as its own provider section and refuses "localhost".
            ["Orleans:ClusterId"] = ClusterId,
            ["Orleans:ServiceId"] = ServiceId,
            ["Orleans:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Ledger:SeedOnStart"] = "false",
            ["Ledger:CustomerKeySecret"] = Convert.ToBase64String(new byte[32].Select((_, i) => (byte)(i + 1)).ToArray()),
            ["Publishing:Transport"] = "inprocess",
            ["Gateway:ApiKeyCacheDuration"] = "00:00:01",
        });
        builder.Services.AddSingleton<InProcessEventBus>();
        builder.Services.AddHostedService<AcknowledgingSink>();
        builder.AddTradeMasterSilo();
        builder.AddTradeMasterGateway();

        _app = builder.Build();
        _app.MapTradeMasterGateway();
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());

        _sellable = await ItemsAsync(
            """
            select s.item_id from stock s join catalog_items i using (item_id)
            where s.store_id = 1 and i.active and i.sellable and s.copies_for_sale >= 5 and s.copies_for_sale < 100
            order by s.item_id
            """);
    }

    /// <summary>The running gateway's services, for the settings it answers with.</summary>
    public IServiceProvider Services => _app!.Services;

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
        await Database.DisposeAsync();
    }

    /// <summary>A client carrying the documented development key of a store and role.</summary>
    public HttpClient Client(int storeId = 1, EmployeeRole role = EmployeeRole.Clerk)
    {
        var client = Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", SeedDataGenerator.DevApiKey(storeId, role));
        return client;
    }

    public HttpClient Anonymous()
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        return client;
    }

    /// <summary>A sellable item of store 1 with 5..99 copies that no other test has touched.</summary>
    public int FreshSellableItem() => _sellable[Interlocked.Increment(ref _nextItem) - 1];

    public async Task<int> ScalarAsync(string sql, params object[] parameters)
    {
        await using var command = Database.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        return Convert.ToInt32(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task<IReadOnlyList<int>> ItemsAsync(string sql, params object[] parameters)
    {
        await using var command = Database.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<int>();
        while (await reader.ReadAsync()) ids.Add(reader.GetInt32(0));
        return ids;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Stands in for the sink: acknowledges every in-process delivery so the ledger's outbox drains.</summary>
    private sealed class AcknowledgingSink(InProcessEventBus bus) : BackgroundService
    {
        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            try
            {
                await foreach (var delivery in bus.Reader.ReadAllAsync(stoppingToken)) delivery.Acknowledge();
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
            }
        }
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
