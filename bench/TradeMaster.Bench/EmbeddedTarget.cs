using System.Globalization;
using System.Net;
using System.Net.Sockets;
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
        var host = await LocalHost.StartAsync(
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
        var target = new EmbeddedTarget(host, keep, stockScale);
        target._onInterrupt = Interruption.OnInterrupt(target.DisposeAsync);
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

    private async Task StopAsync()
    {
        await _host.DisposeAsync();
        if (!_keep)
        {
            try
            {
                Directory.Delete(_host.DataDirectory, recursive: true);
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
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
