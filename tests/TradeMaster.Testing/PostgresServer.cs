using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TradeMaster.Db;
using TradeMaster.Db.Postgres;
using TradeMaster.Db.Seed;

namespace TradeMaster.Testing;

/// <summary>
/// The test run's PostgreSQL: a real server started once per test process from the installed binaries (or the
/// server named by TRADEMASTER_TEST_PG, a connection string to a maintenance database). Each fixture gets a fresh
/// database of its own, migrated and seeded, so test classes never see each other's stock.
/// There is no skip: if PostgreSQL cannot start, the tests that need it fail and say why.
/// </summary>
public static class PostgresServer
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static PrivatePostgres? _server;
    private static string? _root;
    private static string? _externalAdmin;
    private static int _databaseCounter;

    public static async Task<string> CreateDatabaseAsync(string purpose, SeedOptions? seed = null, CancellationToken cancellationToken = default)
    {
        await EnsureStartedAsync(cancellationToken);
        var name = $"tm_{Sanitize(purpose)}_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        string connectionString;
        if (_server is not null)
        {
            await _server.CreateDatabaseIfMissingAsync(name, cancellationToken);
            connectionString = _server.ConnectionString(name);
        }
        else
        {
            await using (var admin = new NpgsqlConnection(_externalAdmin))
            {
                await admin.OpenAsync(cancellationToken);
                await using var drop = new NpgsqlCommand($"drop database if exists \"{name}\" with (force)", admin);
                await drop.ExecuteNonQueryAsync(cancellationToken);
                await using var create = new NpgsqlCommand($"create database \"{name}\"", admin);
                await create.ExecuteNonQueryAsync(cancellationToken);
            }
            connectionString = new NpgsqlConnectionStringBuilder(_externalAdmin) { Database = name }.ConnectionString;
        }

        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await DatabaseBootstrapper.PrepareAsync(dataSource, NullLoggerFactory.Instance, seed ?? new SeedOptions(), cancellationToken);
        return connectionString;
    }

    /// <summary>An empty database: no migrations, no seed (for migration tests).</summary>
    public static async Task<string> CreateEmptyDatabaseAsync(string purpose, CancellationToken cancellationToken = default)
    {
        await EnsureStartedAsync(cancellationToken);
        var name = $"tm_{Sanitize(purpose)}_{Environment.ProcessId}_{Interlocked.Increment(ref _databaseCounter)}";
        if (_server is not null)
        {
            await _server.CreateDatabaseIfMissingAsync(name, cancellationToken);
            return _server.ConnectionString(name);
        }
        await using var admin = new NpgsqlConnection(_externalAdmin);
        await admin.OpenAsync(cancellationToken);
        await using var create = new NpgsqlCommand($"create database \"{name}\"", admin);
        await create.ExecuteNonQueryAsync(cancellationToken);
        return new NpgsqlConnectionStringBuilder(_externalAdmin) { Database = name }.ConnectionString;
    }

    private static async Task EnsureStartedAsync(CancellationToken cancellationToken)
    {
        if (_server is not null || _externalAdmin is not null) return;
        await Gate.WaitAsync(cancellationToken);
        try
        {
            if (_server is not null || _externalAdmin is not null) return;
            var external = Environment.GetEnvironmentVariable("TRADEMASTER_TEST_PG");
            if (!string.IsNullOrWhiteSpace(external))
            {
                _externalAdmin = external;
                return;
            }
            var root = Path.Combine(Path.GetTempPath(), $"trademaster-tests-{Environment.ProcessId}-{Guid.NewGuid():N}");
            using var loggers = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
            _server = await PrivatePostgres.StartAsync(root, loggers.CreateLogger("postgres"), durable: false, cancellationToken);
            _root = root;
            var server = _server;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                // For a process that ends before TestRunFramework's step (a run outside dotnet test, a crash): a
                // leftover postmaster would hold the port and memory. Stopping twice does nothing.
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
                DeleteDirectory(root);
            };
        }
        finally
        {
            Gate.Release();
        }
    }

    /// <summary>
    /// Stops the test run's server and deletes its data directory; called after the assembly's last test
    /// (<see cref="TestRunFramework"/>). A later <see cref="CreateDatabaseAsync"/> would start a new one.
    /// </summary>
    public static async Task StopAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_server is null) return;
            await _server.DisposeAsync();
            DeleteDirectory(_root!);
            _server = null;
            _root = null;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static void DeleteDirectory(string root)
    {
        try { Directory.Delete(root, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static string Sanitize(string purpose) =>
        new(purpose.ToLowerInvariant().Where(c => char.IsAsciiLetterOrDigit(c) || c == '_').Take(20).ToArray());
}
