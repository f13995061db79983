using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TradeMaster.Db.Postgres;

/// <summary>
/// A PostgreSQL server of our own, started from the installed server binaries on a free loopback port, for the
/// embedded mode and the tests. The data directory is initialised on first use and kept, so a restart finds
/// the same stock and rentals. As root it runs the server as the <c>postgres</c> user, since PostgreSQL refuses
/// to run as root.
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private readonly string _binDirectory;
    private readonly string _dataDirectory;
    private readonly ILogger _logger;
    private bool _stopped;

    private PrivatePostgres(string binDirectory, string dataDirectory, int port, string password, ILogger logger)
    {
        _binDirectory = binDirectory;
        _dataDirectory = dataDirectory;
        Port = port;
        Password = password;
        _logger = logger;
    }

    public int Port { get; }

    public string Password { get; }

    public string ConnectionString(string database) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = Password,
        Database = database,
        MaxPoolSize = 60, // several pools share one server (Orleans storage, the ledger, the sink): stay under max_connections
    }.ConnectionString;

    /// <summary>Finds the newest installed server binaries, or explains what to install.</summary>
    public static string FindBinaries()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("TRADEMASTER_PG_BIN");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(Path.Combine(fromEnvironment, "pg_ctl")))
        {
            return fromEnvironment;
        }
        const string root = "/usr/lib/postgresql";
        var candidates = Directory.Exists(root)
            ? Directory.GetDirectories(root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(c => File.Exists(Path.Combine(c.Dir, "pg_ctl")) && File.Exists(Path.Combine(c.Dir, "initdb")))
                .OrderByDescending(c => c.Version)
                .ToList()
            : [];
        return candidates.Count > 0
            ? candidates[0].Dir
            : throw new InvalidOperationException(
                "No PostgreSQL server binaries found under /usr/lib/postgresql/*/bin. Install them " +
                "(Debian/Ubuntu: `apt-get install postgresql`), set TRADEMASTER_PG_BIN to their folder, or give " +
                "ConnectionStrings:TradeMaster for a server you run yourself.");
    }

    public static async Task<PrivatePostgres> StartAsync(
        string dataRoot, ILogger logger, bool durable = true, CancellationToken cancellationToken = default)
    {
        var bin = FindBinaries();
        dataRoot = Path.GetFullPath(dataRoot);
        var dataDirectory = Path.Combine(dataRoot, "pgdata");
        var passwordFile = Path.Combine(dataRoot, "postgres.password");
        var asRoot = RunningAsRoot;
        Directory.CreateDirectory(dataRoot);

        if (!File.Exists(Path.Combine(dataDirectory, "PG_VERSION")))
        {
            if (Directory.Exists(dataDirectory))
            {
                Directory.Delete(dataDirectory, recursive: true); // a half-made directory from an interrupted initdb
            }
            var password = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
            var initPasswordFile = Path.Combine(dataRoot, "initdb.pw");
            await File.WriteAllTextAsync(initPasswordFile, password, cancellationToken);
            Directory.CreateDirectory(dataDirectory);
            if (asRoot)
            {
                await RunAsync("chown", ["-R", "postgres:postgres", dataRoot], asPostgres: false, logger, cancellationToken);
            }
            await RunAsync(Path.Combine(bin, "initdb"),
                ["-D", dataDirectory, "-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=scram-sha-256",
                 "--encoding=UTF8", "--locale=C.UTF-8", "--pwfile", initPasswordFile],
                asRoot, logger, cancellationToken);
            File.Delete(initPasswordFile);
            await File.WriteAllTextAsync(passwordFile, password, cancellationToken);
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(passwordFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }

        var pidFile = Path.Combine(dataDirectory, "postmaster.pid");
        if (File.Exists(pidFile))
        {
            // A server left running by a process that died: stop it, we don't know its port for sure.
            await TryRunAsync(Path.Combine(bin, "pg_ctl"), ["-D", dataDirectory, "-m", "immediate", "-w", "stop"], asRoot, logger);
        }

        var port = FreeLoopbackPort();
        var options = $"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c max_connections=300";
        if (!durable)
        {
            // Test databases are thrown away; skipping fsync keeps a 2-core machine fast without changing semantics.
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
        }
        var logFile = Path.Combine(dataDirectory, "server.log");
        await RunAsync(Path.Combine(bin, "pg_ctl"), ["-D", dataDirectory, "-o", options, "-l", logFile, "-w", "-t", "60", "start"],
            asRoot, logger, cancellationToken);

        var server = new PrivatePostgres(bin, dataDirectory, port, (await File.ReadAllTextAsync(passwordFile, cancellationToken)).Trim(), logger);
        logger.LogInformation("Private PostgreSQL listening on 127.0.0.1:{Port} (data in {DataDirectory})", port, dataDirectory);
        return server;

    }

    public async Task CreateDatabaseIfMissingAsync(string database, CancellationToken cancellationToken = default)
    {
        await using var connection = new NpgsqlConnection(ConnectionString("postgres"));
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("select 1 from pg_database where datname = @n", connection);
        exists.Parameters.AddWithValue("n", database);
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"create database \"{database.Replace("\"", "", StringComparison.Ordinal)}\"", connection);
            try
            {
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            catch (PostgresException e) when (e.SqlState == PostgresErrorCodes.DuplicateDatabase)
            {
                // created by a concurrent caller
            }
        }
    }

    /// <summary>
    /// Stops the server running in <paramref name="dataRoot"/> (the folder given to <see cref="StartAsync"/>), if any,
    /// for a process that does not hold the <see cref="PrivatePostgres"/> that started it (or holds one still starting):
    /// a fast shutdown (sessions ended, a checkpoint), and an immediate one if that has not finished within 15 s.
    /// </summary>
    public static async Task StopAsync(string dataRoot, ILogger logger)
    {
        var dataDirectory = Path.Combine(Path.GetFullPath(dataRoot), "pgdata");
        if (!File.Exists(Path.Combine(dataDirectory, "postmaster.pid"))) return;
        var pgCtl = Path.Combine(FindBinaries(), "pg_ctl");
        var asRoot = RunningAsRoot;
        try
        {
            await RunAsync(pgCtl, ["-D", dataDirectory, "-m", "fast", "-w", "-t", "15", "stop"], asRoot, logger, CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            await TryRunAsync(pgCtl, ["-D", dataDirectory, "-m", "immediate", "-w", "stop"], asRoot, logger);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopped) return;
        _stopped = true;
        NpgsqlConnection.ClearAllPools();
        var asRoot = RunningAsRoot;
        await TryRunAsync(Path.Combine(_binDirectory, "pg_ctl"), ["-D", _dataDirectory, "-m", "fast", "-w", "stop"], asRoot, _logger);
    }

    /// <summary>Root runs PostgreSQL's tools as the postgres user (initdb and the server refuse to run as root).</summary>
    private static bool RunningAsRoot => Environment.UserName == "root" || geteuid() == 0;

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task TryRunAsync(string file, string[] args, bool asPostgres, ILogger logger)
    {
        try
        {
            await RunAsync(file, args, asPostgres, logger, CancellationToken.None);
        }
        catch (InvalidOperationException e)
        {
            logger.LogWarning("{Message}", e.Message);
        }
    }

    private static async Task RunAsync(string file, string[] args, bool asPostgres, ILogger logger, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo
        {
            FileName = asPostgres ? "runuser" : file,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file }) start.ArgumentList.Add(a);
        }
        foreach (var a in args) start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {file}.");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        var output = (await stdout) + (await stderr);
        logger.LogDebug("{File} {Args}: {Output}", file, string.Join(' ', args), output);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"`{Path.GetFileName(file)} {string.Join(' ', args)}` failed with exit code {process.ExitCode}: {output.Trim()}");
        }
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();
}
