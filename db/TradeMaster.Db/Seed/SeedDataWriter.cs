using System.Security.Cryptography;
using System.Text;
using Npgsql;
using NpgsqlTypes;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Db.Seed;

/// <summary>Loads generated master data into an empty database with binary COPY; does nothing if stores exist.</summary>
public static class SeedDataWriter
{
    public static string HashApiKey(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    public static async Task<bool> WriteIfEmptyAsync(NpgsqlDataSource dataSource, SeedData data, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockCommand = new NpgsqlCommand("lock table stores in exclusive mode", connection, tx))
        {
            await lockCommand.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var any = new NpgsqlCommand("select exists (select 1 from stores)", connection, tx))
        {
            if ((bool)(await any.ExecuteScalarAsync(cancellationToken))!)
            {
                return false;
            }
        }

        await CopyAsync(connection,
            "copy stores (store_id, code, name, street, street_number, district, city, state, postal_code, timezone, phone, opened_on) from stdin (format binary)",
            data.Stores, async (w, s, ct) =>
            {
                await w.WriteAsync(s.StoreId, ct); await w.WriteAsync(s.Code, ct); await w.WriteAsync(s.Name, ct);
                await w.WriteAsync(s.Street, ct); await w.WriteAsync(s.StreetNumber, ct); await w.WriteAsync(s.District, ct);
                await w.WriteAsync(s.City, ct); await w.WriteAsync(s.State, NpgsqlDbType.Char, ct); await w.WriteAsync(s.PostalCode, NpgsqlDbType.Char, ct);
                await w.WriteAsync(s.Timezone, ct); await w.WriteAsync(s.Phone, ct); await w.WriteAsync(s.OpenedOn, NpgsqlDbType.Date, ct);
            }, cancellationToken);
        await CopyAsync(connection,
            "copy employees (employee_id, store_id, full_name, email, role, hired_on, active) from stdin (format binary)",
            data.Employees, async (w, e, ct) =>
            {
                await w.WriteAsync(e.EmployeeId, ct); await w.WriteAsync(e.StoreId, ct); await w.WriteAsync(e.FullName, ct);
                await w.WriteAsync(e.Email, ct); await w.WriteAsync(WireNames.Of(e.Role), ct);
                await w.WriteAsync(e.HiredOn, NpgsqlDbType.Date, ct); await w.WriteAsync(e.Active, ct);
            }, cancellationToken);
        await CopyAsync(connection,
            "copy customers (customer_id, cpf, full_name, email, phone, birth_date, city, state, marketing_consent, consent_at, active) from stdin (format binary)",
            data.Customers, async (w, c, ct) =>
            {
                await w.WriteAsync(c.CustomerId, ct); await w.WriteAsync(c.Cpf, NpgsqlDbType.Char, ct); await w.WriteAsync(c.FullName, ct);
                await w.WriteAsync(c.Email, ct); await w.WriteAsync(c.Phone, ct); await w.WriteAsync(c.BirthDate, NpgsqlDbType.Date, ct);
                await w.WriteAsync(c.City, ct); await w.WriteAsync(c.State, NpgsqlDbType.Char, ct); await w.WriteAsync(c.MarketingConsent, ct);
                if (c.ConsentAt is { } at) await w.WriteAsync(at, NpgsqlDbType.TimestampTz, ct); else await w.WriteNullAsync(ct);
                await w.WriteAsync(c.Active, ct);
            }, cancellationToken);
        await CopyAsync(connection,
            "copy catalog_items (item_id, media_type, title, genre, creator, release_year, ean, isbn, sale_price, daily_rental_price, sellable, rentable, active) from stdin (format binary)",
            data.Items, async (w, i, ct) =>
            {
                await w.WriteAsync(i.ItemId, ct); await w.WriteAsync(WireNames.Of(i.MediaType), ct); await w.WriteAsync(i.Title, ct);
                await w.WriteAsync(i.Genre, ct); await w.WriteAsync(i.Creator, ct); await w.WriteAsync(i.ReleaseYear, ct);
                await w.WriteAsync(i.Ean, NpgsqlDbType.Char, ct);
                if (i.Isbn is not null) await w.WriteAsync(i.Isbn, NpgsqlDbType.Char, ct); else await w.WriteNullAsync(ct);
                await w.WriteAsync(i.SalePrice, NpgsqlDbType.Numeric, ct); await w.WriteAsync(i.DailyRentalPrice, NpgsqlDbType.Numeric, ct);
                await w.WriteAsync(i.Sellable, ct); await w.WriteAsync(i.Rentable, ct); await w.WriteAsync(i.Active, ct);
            }, cancellationToken);
        await CopyAsync(connection,
            "copy stock (store_id, item_id, copies_for_sale, rental_copies_owned) from stdin (format binary)",
            data.Stock, async (w, s, ct) =>
            {
                await w.WriteAsync(s.StoreId, ct); await w.WriteAsync(s.ItemId, ct);
                await w.WriteAsync(s.CopiesForSale, ct); await w.WriteAsync(s.RentalCopiesOwned, ct);
            }, cancellationToken);
        await CopyAsync(connection,
            "copy api_keys (key_hash, store_id, role, label) from stdin (format binary)",
            data.ApiKeys, async (w, k, ct) =>
            {
                await w.WriteAsync(HashApiKey(k.Key), NpgsqlDbType.Char, ct); await w.WriteAsync(k.StoreId, ct);
                await w.WriteAsync(WireNames.Of(k.Role), ct); await w.WriteAsync(k.Label, ct);
            }, cancellationToken);

        await tx.CommitAsync(cancellationToken);
        return true;
    }

    private static async Task CopyAsync<T>(
        NpgsqlConnection connection, string copyCommand, IEnumerable<T> rows,
        Func<NpgsqlBinaryImporter, T, CancellationToken, Task> writeRow, CancellationToken cancellationToken)
    {
        await using var importer = await connection.BeginBinaryImportAsync(copyCommand, cancellationToken);
        foreach (var row in rows)
        {
            await importer.StartRowAsync(cancellationToken);
            await writeRow(importer, row, cancellationToken);
        }
        await importer.CompleteAsync(cancellationToken);
    }
}
