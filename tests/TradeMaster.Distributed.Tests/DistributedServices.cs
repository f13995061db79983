using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Xunit.Abstractions;

namespace TradeMaster.Distributed.Tests;

public sealed record SiloProcess(ServiceProcess Process, Uri Http, int SiloPort, int GatewayPort, Uri? Dashboard);

public sealed record ServiceEndpoint(ServiceProcess Process, Uri Http);

/// <summary>
/// The distributed mode on one machine: silos, gateways and sinks as separate processes sharing one PostgreSQL
/// database and one Orleans cluster id, every listener on a free 127.0.0.1 port. Only environment variables
/// documented in docs/configuration.md configure them.
/// </summary>
public sealed class DistributedServices(string connectionString, ITestOutputHelper output) : IAsyncDisposable
{
    /// <summary>Test value of the customer-key secret (base64 of 32 bytes); production reads it from a secret.</summary>
    public const string CustomerKeySecret = "ZGlzdHJpYnV0ZWQtdGVzdHMtY3VzdG9tZXIta2V5LTMyYg==";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    private readonly List<ServiceProcess> _processes = [];

    public string ConnectionString { get; } = connectionString;

    public string ClusterId { get; } = $"dist-{Guid.NewGuid():N}";

    public string ServiceId { get; } = "trademaster-distributed-tests";

    /// <summary>Publishing settings every silo gets (transport and its options).</summary>
    public Dictionary<string, string> Publishing { get; } = new(StringComparer.Ordinal);

    public IReadOnlyList<ServiceProcess> Processes => _processes;

    /// <summary>Starts a silo process and waits until it is ready (PostgreSQL answers and it is an active member).</summary>
    public async Task<SiloProcess> StartSiloAsync(string name, bool dashboard = false)
    {
        var (http, siloPort, gatewayPort) = (FreePort(), FreePort(), FreePort());
        int? dashboardPort = dashboard ? FreePort() : null;
        var environment = new Dictionary<string, string>(Publishing, StringComparer.Ordinal)
        {
            ["ConnectionStrings__TradeMaster"] = ConnectionString,
            ["Orleans__ClusteringMode"] = "adonet",
            ["Orleans__ClusterId"] = ClusterId,
            ["Orleans__ServiceId"] = ServiceId,
            ["Orleans__SiloPort"] = Text(siloPort),
            ["Orleans__GatewayPort"] = Text(gatewayPort),
            ["Orleans__AdvertisedIP"] = "127.0.0.1",
            ["Ledger__CustomerKeySecret"] = CustomerKeySecret,
            ["Urls"] = Url(http),
        };
        if (dashboardPort is null)
        {
            // appsettings.json gives every silo a dashboard on 127.0.0.1:8888; two silos on one machine would collide.
            environment["Dashboard__Enabled"] = "false";
        }
        if (dashboardPort is { } port)
        {
            environment["Dashboard__Host"] = "127.0.0.1";
            environment["Dashboard__Port"] = Text(port);
            // Urls names only the API port: the silo must open the dashboard's loopback listener itself.
        }
        var process = Track(ServiceProcess.Start(name, "TradeMaster.Silo.Host", environment));
        var baseUri = new Uri(Url(http));
        await process.WaitUntilHealthyAsync(new Uri(baseUri, "/health/ready"), StartTimeout);
        return new SiloProcess(process, baseUri, siloPort, gatewayPort, dashboardPort is { } d ? new Uri($"{Url(d)}/dashboard/") : null);
    }

    /// <summary>Starts a gateway process (an Orleans client finding the silos in PostgreSQL) and waits until it is ready.</summary>
    public async Task<ServiceEndpoint> StartGatewayAsync(string name = "gateway")
    {
        var http = FreePort();
        var process = Track(ServiceProcess.Start(name, "TradeMaster.Gateway.Host", new Dictionary<string, string>
        {
            ["ConnectionStrings__TradeMaster"] = ConnectionString,
            ["Orleans__ClusteringMode"] = "adonet",
            ["Orleans__ClusterId"] = ClusterId,
            ["Orleans__ServiceId"] = ServiceId,
            ["Gateway__RequireHttps"] = "false",
            ["Urls"] = Url(http),
        }));
        var baseUri = new Uri(Url(http));
        await process.WaitUntilHealthyAsync(new Uri(baseUri, "/health/ready"), StartTimeout);
        return new ServiceEndpoint(process, baseUri);
    }

    /// <summary>Starts a sink process writing the lake under <paramref name="lakePath"/>, with the push endpoint enabled.</summary>
    public async Task<ServiceEndpoint> StartSinkAsync(string lakePath, string pushToken, string name = "sink")
    {
        var http = FreePort();
        var process = Track(ServiceProcess.Start(name, "TradeMaster.Sink.Host", new Dictionary<string, string>
        {
            ["ConnectionStrings__TradeMaster"] = ConnectionString,
            ["Sink__Writer"] = "local",
            ["Sink__LocalPath"] = lakePath,
            ["Sink__PushToken"] = pushToken,
            ["Sink__Batch__MaxAge"] = "00:00:00.500",
            ["Urls"] = Url(http),
        }));
        var baseUri = new Uri(Url(http));
        await process.WaitUntilHealthyAsync(new Uri(baseUri, "/healthz"), StartTimeout);
        return new ServiceEndpoint(process, baseUri);
    }

    /// <summary>
    /// Prints every process's output to the test log. Returns false, so it can sit in an exception filter
    /// (<c>catch when (services.PrintOutput())</c>) and print while the failing test still has its processes.
    /// </summary>
    public bool PrintOutput()
    {
        foreach (var process in _processes)
        {
            output.WriteLine($"===== {process.Name} (pid {process.Pid}{(process.HasExited ? ", exited" : "")}) =====");
            output.WriteLine(process.Output);
        }
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private ServiceProcess Track(ServiceProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private static string Url(int port) => $"http://127.0.0.1:{Text(port)}";

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
