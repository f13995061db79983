using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using TradeMaster.Contracts.Events;
using TradeMaster.Silo.Hosting;

namespace TradeMaster.Silo.Tests;

/// <summary>A real silo (the production composition) on a real PostgreSQL database, with a publisher the test controls.</summary>
public sealed class LedgerHost : IAsyncDisposable
{
    public const string CustomerKeySecret = "dGVzdC1zZWNyZXQtb2YtdGhlLWN1c3RvbWVyLWtleS0zMmJ5dGVz";

    private readonly IHost _host;

    private LedgerHost(IHost host, string connectionString, RecordingPublisher? publisher)
    {
        _host = host;
        ConnectionString = connectionString;
        _publisher = publisher;
    }

    private readonly RecordingPublisher? _publisher;

    public string ConnectionString { get; }

    public RecordingPublisher Publisher => _publisher ?? throw new InvalidOperationException("This host publishes through a publisher of the test's own.");

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public IServiceProvider Services => _host.Services;

    public static Task<LedgerHost> StartAsync(
        string connectionString, RecordingPublisher? publisher = null, IDictionary<string, string?>? settings = null, TimeProvider? time = null)
    {
        publisher ??= new RecordingPublisher();
        return StartAsync(connectionString, publisher, publisher, settings, time);
    }

    /// <summary>A silo publishing through <paramref name="publisher"/> (<see cref="Publisher"/> is then not available).</summary>
    public static Task<LedgerHost> StartWithPublisherAsync(string connectionString, IEventPublisher publisher, IDictionary<string, string?>? settings = null) =>
        StartAsync(connectionString, publisher, null, settings, null);

    private static async Task<LedgerHost> StartAsync(
        string connectionString, IEventPublisher publisher, RecordingPublisher? recording, IDictionary<string, string?>? settings, TimeProvider? time)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:TradeMaster"] = connectionString,
            ["Orleans:ClusteringMode"] = "localhost",
            ["Orleans:SiloPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:GatewayPort"] = FreePort().ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Orleans:ServiceId"] = "tm-tests",
            ["Publishing:Transport"] = "inprocess",
            ["Ledger:CustomerKeySecret"] = CustomerKeySecret,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>()) config[key] = value;
        builder.Configuration.AddInMemoryCollection(config);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (time is not null) builder.Services.AddSingleton(time);
        builder.AddTradeMasterSilo();
        builder.Services.RemoveAll<IEventPublisher>();
        builder.Services.AddSingleton<IEventPublisher>(publisher);
        var host = builder.Build();
        await host.StartAsync();
        return new LedgerHost(host, connectionString, recording);
    }

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read, params object[] parameters)
    {
        await using var dataSource = NpgsqlDataSource.Create(ConnectionString);
        await using var command = dataSource.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.AddWithValue(p);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _host.StopAsync(TimeSpan.FromSeconds(20));
        }
        finally
        {
            _host.Dispose();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>Collects what the ledger publishes; can be switched to fail, like a broker that is down.</summary>
public sealed class RecordingPublisher : IEventPublisher
{
    private readonly ConcurrentDictionary<string, OutgoingEvent> _byId = new();
    private int _attempts;

    public string Name => "recording";

    public volatile bool Failing;

    public ConcurrentQueue<OutgoingEvent> All { get; } = new();

    public IReadOnlyCollection<OutgoingEvent> Distinct => _byId.Values.ToList();

    public int Attempts => _attempts;

    public Task PublishAsync(IReadOnlyList<OutgoingEvent> events, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _attempts);
        if (Failing) throw new HttpRequestException("broker down (test)");
        foreach (var e in events)
        {
            All.Enqueue(e);
            _byId.TryAdd(e.Id, e);
        }
        return Task.CompletedTask;
    }

    public IEnumerable<JsonElement> DataOf(string type) =>
        Distinct.Where(e => e.Type == type).Select(e => JsonDocument.Parse(e.Json).RootElement.GetProperty("data"));
}
