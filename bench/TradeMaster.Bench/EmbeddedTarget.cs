using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using TradeMaster.Db.Postgres;
using TradeMaster.Local;

namespace TradeMaster.Bench;

/// <summary>The embedded mode (LocalHost: silo + gateway + sink, in-process transport, private PostgreSQL) on a fresh data directory.</summary>
public sealed class EmbeddedTarget : IAsyncDisposable
{
    private readonly LocalHost _host;
    private readonly bool _keep;
    private readonly Lock _gate = new();
    private IDisposable? _onInterrupt;
    private Task? _disposed;

    /// <summary>
    /// The seed's stock multiplied by this (Ledger:SeedStockScale): the seeded 0–25 copies for sale and 0–8 rental
    /// copies per title sell out within seconds at thousands of transactions per second, and then most answers are
    /// insufficient_stock refusals. A thousand times that lasts a whole `all` run; the shelves are the same.
    /// </summary>
    public const int DefaultStockScale = 1000;

    private EmbeddedTarget(LocalHost host, bool keep, int stockScale)
    {
        _host = host;
        _keep = keep;
        StockScale = stockScale;
    }

    public int StockScale { get; }

    public Uri BaseAddress => _host.BaseAddress;

    public string DataDirectory => _host.DataDirectory;

    public string LakeDirectory => _host.LakeDirectory;

    /// <summary>The private PostgreSQL's data directory (its processes' CPU is read through <c>postmaster.pid</c>).</summary>
    public string PostgresDataDirectory => Path.Combine(_host.DataDirectory, "postgres", "pgdata");

    public IGrainFactory Grains => _host.Services.GetRequiredService<IGrainFactory>();

    public string ConnectionString => _host.Services.GetRequiredService<IConfiguration>().GetConnectionString("TradeMaster")!;

    /// <summary>
    /// A data directory of its own under /tmp/trademaster-bench: the time, and the process id, so two benches started
    /// in the same second do not share (and wreck) one PostgreSQL data directory.
    /// </summary>
    public static string NewDataDirectory(string prefix) => Path.Combine(Path.GetTempPath(), "trademaster-bench",
        $"{prefix}{DateTime.UtcNow.ToString("yyyyMMdd'T'HHmmss", CultureInfo.InvariantCulture)}-{Environment.ProcessId}");

    /// <param name="settings">More configuration, as command-line arguments (<c>--Ledger:MaxCommitBatch=1</c>).</param>
    public static async Task<EmbeddedTarget> StartAsync(string? dataDirectory, bool keep, int stockScale, params string[] settings)
    {
        dataDirectory ??= NewDataDirectory("");
        if (Directory.Exists(Path.Combine(dataDirectory, "postgres"))) throw new InvalidOperationException($"{dataDirectory} is not fresh; give a new --data directory.");
        // Interrupted while the host starts (PostgreSQL up, migrations and seed running): no host to stop yet, only its server.
        var starting = Interruption.OnInterrupt(async () =>
        {
            await PrivatePostgres.StopAsync(Path.Combine(dataDirectory, "postgres"), NullLogger.Instance);
            if (!keep) DeleteDirectory(dataDirectory);
        });
        LocalHost host;
        try
        {
            host = await StartHostAsync(dataDirectory, stockScale, settings);
        }
        finally
        {
            starting.Dispose();
        }
        var target = new EmbeddedTarget(host, keep, stockScale);
        target._onInterrupt = Interruption.OnInterrupt(target.InterruptAsync);
        try
        {
            await target.WaitUntilReadyAsync(TimeSpan.FromMinutes(2));
        }
        catch
        {
            await target.DisposeAsync();
            throw;
        }
        return target;
    }

    private static Task<LocalHost> StartHostAsync(string dataDirectory, int stockScale, string[] settings) => LocalHost.StartAsync(
        [
            $"--Local:DataDirectory={dataDirectory}",
            "--Urls=http://127.0.0.1:0",
            $"--Orleans:SiloPort={FreePort()}",
            $"--Orleans:GatewayPort={FreePort()}",
            "--Orleans:ServiceId=trademaster-bench",
            $"--Ledger:SeedStockScale={stockScale.ToString(CultureInfo.InvariantCulture)}",
            // Orleans' slow-turn warnings would bury the figures; the smoke run that showed them is in docs/performance-log.md.
            "--Logging:LogLevel:Orleans=Error",
            .. settings,
        ]);

    private async Task WaitUntilReadyAsync(TimeSpan deadline)
    {
        using var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        using var cts = new CancellationTokenSource(deadline);
        while (true)
        {
            try
            {
                using var response = await client.GetAsync("/health/ready", cts.Token);
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
            }
            await Task.Delay(250, cts.Token);
        }
    }

    /// <summary>Stops the host and its PostgreSQL and deletes the data directory (unless kept); once, whoever asks first (the run or an interruption).</summary>
    public ValueTask DisposeAsync()
    {
        _onInterrupt?.Dispose();
        lock (_gate) _disposed ??= StopAsync();
        return new ValueTask(_disposed);
    }

    /// <summary>
    /// The bench is interrupted and about to exit: the host gets <see cref="InterruptGrace"/> to stop, then its
    /// PostgreSQL is told to shut down whether or not it has (a silo stopping while the run still sends it work can take
    /// longer than the user waits, and the process ends right after this anyway).
    /// </summary>
    private async ValueTask InterruptAsync()
    {
        Task stopping;
        lock (_gate) stopping = _disposed ??= StopAsync();
        if (await Task.WhenAny(stopping, Task.Delay(InterruptGrace)) == stopping) return;
        Console.Error.WriteLine($"The embedded host did not stop within {InterruptGrace.TotalSeconds:N0} s; shutting its PostgreSQL down directly.");
        await PrivatePostgres.StopAsync(Path.Combine(_host.DataDirectory, "postgres"), NullLogger.Instance);
        DeleteDataDirectory();
    }

    /// <summary>How long an interrupted run lets the embedded host stop on its own.</summary>
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromSeconds(10);

    private async Task StopAsync()
    {
        await _host.DisposeAsync();
        DeleteDataDirectory();
    }

    private void DeleteDataDirectory()
    {
        if (!_keep) DeleteDirectory(_host.DataDirectory);
    }

    /// <summary>A host still shutting down may write a last file meanwhile, so a failed attempt is retried.</summary>
    internal static void DeleteDirectory(string path)
    {
        for (var attempt = 1; attempt <= 3 && Directory.Exists(path); attempt++)
        {
            try
            {
                Directory.Delete(path, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Thread.Sleep(200);
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
