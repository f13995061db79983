using System.Collections.Frozen;
using Npgsql;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.MasterData;

public sealed record StoreRecord(int StoreId, string Code, string Name, string City, string State, string Timezone, bool Active)
{
    public TimeZoneInfo Zone { get; } = FindZone(Timezone);

    public DateOnly LocalDate(DateTimeOffset instant) => DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(instant, Zone).DateTime);

    private static TimeZoneInfo FindZone(string id) =>
        TimeZoneInfo.TryFindSystemTimeZoneById(id, out var zone) ? zone : TimeZoneInfo.Utc;
}

public sealed record EmployeeRecord(int EmployeeId, int StoreId, EmployeeRole Role, bool Active);

public sealed record CustomerRecord(int CustomerId, string Cpf, bool Active);

/// <summary>Reads master data (the back office owns it; the ledger only reads) from PostgreSQL.</summary>
public sealed class MasterDataReader(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<StoreRecord>> LoadStoresAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            "select store_id, code, name, city, state, timezone, active from stores order by store_id");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var stores = new List<StoreRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            stores.Add(new StoreRecord(reader.GetInt32(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
                reader.GetString(4), reader.GetString(5), reader.GetBoolean(6)));
        }
        return stores;
    }

    public async Task<FrozenDictionary<int, EmployeeRecord>> LoadEmployeesAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("select employee_id, store_id, role, active from employees");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var employees = new Dictionary<int, EmployeeRecord>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!WireNames.TryParseRole(reader.GetString(2), out var role)) throw new InvalidDataException($"Unknown employee role '{reader.GetString(2)}'.");
            employees[reader.GetInt32(0)] = new EmployeeRecord(reader.GetInt32(0), reader.GetInt32(1), role, reader.GetBoolean(3));
        }
        return employees.ToFrozenDictionary();
    }

    public async Task<FrozenDictionary<int, ItemDetails>> LoadCatalogAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand(
            """
            select item_id, title, media_type, genre, ean, isbn, sale_price, daily_rental_price, sellable, rentable, active,
                   release_year, creator
            from catalog_items
            """);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var items = new Dictionary<int, ItemDetails>();
        while (await reader.ReadAsync(cancellationToken))
        {
            if (!WireNames.TryParseMediaType(reader.GetString(2), out var mediaType)) throw new InvalidDataException($"Unknown media type '{reader.GetString(2)}'.");
            items[reader.GetInt32(0)] = new ItemDetails(
                reader.GetInt32(0), reader.GetString(1), mediaType, reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetDecimal(6), reader.GetDecimal(7), reader.GetBoolean(8), reader.GetBoolean(9), reader.GetBoolean(10),
                reader.IsDBNull(11) ? null : reader.GetInt16(11), reader.IsDBNull(12) ? null : reader.GetString(12));
        }
        return items.ToFrozenDictionary();
    }

    public async Task<CustomerRecord?> LoadCustomerAsync(int customerId, CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("select customer_id, cpf, active from customers where customer_id = $1");
        command.Parameters.AddWithValue(customerId);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new CustomerRecord(reader.GetInt32(0), reader.GetString(1), reader.GetBoolean(2))
            : null;
    }
}

/// <summary>
/// Stores, employees and the catalog, shared by every grain of a silo and refreshed in the background, so a
/// store activation costs no catalog query and a price change reaches the tills within the refresh period.
/// </summary>
public sealed class MasterDataCache(MasterDataReader reader, TimeProvider time, Microsoft.Extensions.Options.IOptions<LedgerOptions> options) : IDisposable
{
    public void Dispose() => _gate.Dispose();

    private readonly SemaphoreSlim _gate = new(1, 1);
    private Snapshot? _snapshot;
    private int _refreshing;

    public sealed record Snapshot(
        FrozenDictionary<int, StoreRecord> Stores,
        FrozenDictionary<int, EmployeeRecord> Employees,
        FrozenDictionary<int, ItemDetails> Items,
        DateTimeOffset LoadedAt);

    public async ValueTask<Snapshot> GetAsync(CancellationToken cancellationToken = default)
    {
        var current = _snapshot;
        if (current is not null)
        {
            // Stale data is served while one background refresh runs: a till never waits for the catalog.
            if (time.GetUtcNow() - current.LoadedAt >= options.Value.MasterDataRefresh && Interlocked.Exchange(ref _refreshing, 1) == 0)
            {
                _ = Task.Run(async () =>
                {
                    try { await LoadAsync(CancellationToken.None); }
                    catch (NpgsqlException) { } // keep serving the last good snapshot; the next call tries again
                    finally { Volatile.Write(ref _refreshing, 0); }
                }, CancellationToken.None);
            }
            return current;
        }
        await _gate.WaitAsync(cancellationToken);
        try
        {
            return _snapshot ?? await LoadAsync(cancellationToken);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Forgets the snapshot so the next call reloads (tests and back-office changes).</summary>
    public void Invalidate() => _snapshot = null;

    private async Task<Snapshot> LoadAsync(CancellationToken cancellationToken)
    {
        var stores = (await reader.LoadStoresAsync(cancellationToken)).ToFrozenDictionary(s => s.StoreId);
        var employees = await reader.LoadEmployeesAsync(cancellationToken);
        var items = await reader.LoadCatalogAsync(cancellationToken);
        var snapshot = new Snapshot(stores, employees, items, time.GetUtcNow());
        _snapshot = snapshot;
        return snapshot;
    }
}
