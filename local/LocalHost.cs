using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Npgsql;
using TradeMaster.Db;
using TradeMaster.Db.Postgres;
using TradeMaster.Gateway;
using TradeMaster.Silo.Hosting;

namespace TradeMaster.Local;

/// <summary>
/// The embedded mode: silo, gateway and sink in one process, composed from the same AddXxx()/MapXxx() the
/// separate services use, with the in-process transport and a lake under ./data/lake. PostgreSQL is the one
/// named by ConnectionStrings:TradeMaster, or a private server this process starts (and stops) under ./data/postgres.
/// </summary>
public sealed class LocalHost : IAsyncDisposable
{
    // Development only: the embedded mode must run from a fresh clone without secrets. Production sets its own.
    public const string DevCustomerKeySecret = "dHJhZGVtYXN0ZXItZGV2LWN1c3RvbWVyLWtleS0zMi1ieXRlcyE=";

    private readonly WebApplication _app;
    private readonly PrivatePostgres? _postgres;

    private LocalHost(WebApplication app, PrivatePostgres? postgres, string dataDirectory)
    {
        _app = app;
        _postgres = postgres;
        DataDirectory = dataDirectory;
    }

    public string DataDirectory { get; }

    public string LakeDirectory => Path.Combine(DataDirectory, "lake");

    public IServiceProvider Services => _app.Services;

    public Uri BaseAddress => new(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static async Task<LocalHost> StartAsync(string[] args, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateBuilder(args);
        var dataDirectory = Path.GetFullPath(builder.Configuration["Local:DataDirectory"] ?? "data");
        builder.Configuration.AddInMemoryCollection(Defaults(dataDirectory).Where(d => builder.Configuration[d.Key] is null));

        PrivatePostgres? postgres = null;
        if (string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(DatabaseServiceCollectionExtensions.ConnectionStringName)))
        {
            using var loggers = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
            postgres = await PrivatePostgres.StartAsync(Path.Combine(dataDirectory, "postgres"), loggers.CreateLogger("postgres"), durable: true, cancellationToken);
            await postgres.CreateDatabaseIfMissingAsync("trademaster", cancellationToken);
            builder.Configuration[$"ConnectionStrings:{DatabaseServiceCollectionExtensions.ConnectionStringName}"] = postgres.ConnectionString("trademaster");
        }

        try
        {
            builder.AddTradeMasterSilo();
            builder.AddTradeMasterGateway();
            builder.Services.AddTradeMasterSink(builder.Configuration);

            var app = builder.Build();
            app.UseCloudEvents();
            app.MapSubscribeHandler();
            app.MapTradeMasterGateway();
            app.MapTradeMasterSink();
            app.MapTradeMasterSiloDashboard();
            await app.StartAsync(cancellationToken);
            return new LocalHost(app, postgres, dataDirectory);
        }
        catch
        {
            if (postgres is not null) await postgres.DisposeAsync();
            throw;
        }
    }

    public Task WaitForShutdownAsync(CancellationToken cancellationToken = default) => _app.WaitForShutdownAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.StopAsync(TimeSpan.FromSeconds(30));
            await _app.DisposeAsync();
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            if (_postgres is not null) await _postgres.DisposeAsync();
        }
    }

    private static Dictionary<string, string?> Defaults(string dataDirectory) => new()
    {
        ["Urls"] = "http://127.0.0.1:5000",
        ["Orleans:ClusteringMode"] = "localhost",
        ["Orleans:ServiceId"] = "trademaster-local",
        ["Publishing:Transport"] = "inprocess",
        ["Sink:Writer"] = "local",
        ["Sink:LocalPath"] = Path.Combine(dataDirectory, "lake"),
        // One heap for the API and the sink here: every message waiting for its lake object (its row is in the sink's
        // arena, but its completion and a few small objects are not) is copied by the young collections that pause
        // the API's requests. A batch closed after 0.5 s instead of 2 s holds a quarter of
        // them; it halved the longest pauses at 2,500 tx/s and keeps generation 0's allowance smaller, so the working
        // set is lower (about 170 MiB at the median of 20-minute soaks; it grows by the same 75 MiB with either age:
        // docs/performance.md). The separate sink keeps 2 s.
        ["Sink:Batch:MaxAge"] = "00:00:00.500",
        ["Ledger:SeedOnStart"] = "true",
        ["Ledger:CustomerKeySecret"] = DevCustomerKeySecret,
        ["Dashboard:Enabled"] = "true",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        ["Logging:LogLevel:Polly"] = "Warning",
    };
}
