using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using TradeMaster.Db.Migrations;
using TradeMaster.Testing;

namespace TradeMaster.Db.Tests;

/// <summary>
/// The history tables have no foreign keys (migration 0016): what keeps their references valid after the ledger
/// wrote them is that master data is deactivated, never deleted or renumbered.
/// </summary>
public sealed class MasterDataGuardTests
{
    [Theory]
    [InlineData("delete from stores where store_id = 1")]
    [InlineData("update stores set store_id = 2 where store_id = 1")]
    [InlineData("delete from employees where employee_id = 1")]
    [InlineData("update employees set employee_id = 2 where employee_id = 1")]
    [InlineData("delete from customers where customer_id = 1")]
    [InlineData("update customers set customer_id = 2 where customer_id = 1")]
    [InlineData("delete from catalog_items where item_id = 1")]
    [InlineData("update catalog_items set item_id = 2 where item_id = 1")]
    public async Task MasterRow_DeletedOrRenumbered_IsRefused(string statement)
    {
        await using var dataSource = await MasterDataAsync();

        await using var command = dataSource.CreateCommand(statement);
        var error = await Assert.ThrowsAsync<PostgresException>(() => command.ExecuteNonQueryAsync());

        Assert.Equal(PostgresErrorCodes.RestrictViolation, error.SqlState);
    }

    [Fact]
    public async Task MasterRow_DeactivatedOrRewrittenWithTheSameId_IsAllowed()
    {
        await using var dataSource = await MasterDataAsync();

        await using var command = dataSource.CreateCommand("""
            update stores set active = false, store_id = store_id where store_id = 1;
            update employees set active = false where employee_id = 1;
            update customers set active = false where customer_id = 1;
            update catalog_items set active = false, item_id = item_id where item_id = 1;
            """);
        await command.ExecuteNonQueryAsync();

        await using var check = dataSource.CreateCommand(
            "select count(*) from stores s, employees e, customers c, catalog_items i where not s.active and not e.active and not c.active and not i.active");
        Assert.Equal(1L, (long)(await check.ExecuteScalarAsync())!);
    }

    private static async Task<NpgsqlDataSource> MasterDataAsync()
    {
        var dataSource = NpgsqlDataSource.Create(await PostgresServer.CreateEmptyDatabaseAsync("guards"));
        await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync();
        await using var command = dataSource.CreateCommand("""
            insert into stores (store_id, code, name, street, street_number, district, city, state, postal_code, timezone, opened_on)
            values (1, 'SP-01', 'Loja', 'Rua A', '1', 'Centro', 'São Paulo', 'SP', '01001000', 'America/Sao_Paulo', '2020-01-01');
            insert into employees (employee_id, store_id, full_name, email, role, hired_on) values (1, 1, 'Ana', 'ana@example.com', 'clerk', '2020-01-01');
            insert into customers (customer_id, cpf, full_name) values (1, '52998224725', 'Bruno');
            insert into catalog_items (item_id, media_type, title, genre, sale_price, daily_rental_price) values (1, 'movie', 'Filme', 'drama', 10, 2);
            """);
        await command.ExecuteNonQueryAsync();
        return dataSource;
    }
}
