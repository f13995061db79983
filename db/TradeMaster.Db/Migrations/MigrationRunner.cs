using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace TradeMaster.Db.Migrations;

/// <summary>One ordered SQL script, named <c>NNNN_description.sql</c>.</summary>
public sealed record Migration(string Version, string Name, string Sql)
{
    public string Checksum { get; } = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Sql)));
}

/// <summary>
/// Applies the embedded scripts of db/migrations in order, each in its own transaction, recording each in
/// <c>schema_migrations</c>. Several processes may start at once (two silos, a gateway): a
/// session-level advisory lock makes them take turns, and the later ones find nothing left to do.
/// </summary>
public sealed class MigrationRunner(NpgsqlDataSource dataSource, ILogger<MigrationRunner> logger)
{
    // Any constant works; it only has to be the same for every TradeMaster process.
    private const long AdvisoryLockKey = 0x7472_6164_656d_0001;

    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    public async Task<IReadOnlyList<string>> ApplyAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "select pg_advisory_lock(@key)", ("key", AdvisoryLockKey), cancellationToken);
        try
        {
            return await ApplyLockedAsync(connection, cancellationToken);
        }
        finally
        {
            await ExecuteAsync(connection, null, "select pg_advisory_unlock(@key)", ("key", AdvisoryLockKey), CancellationToken.None);
        }
    }

    private async Task<IReadOnlyList<string>> ApplyLockedAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await ExecuteAsync(connection, null,
            """
            create table if not exists schema_migrations (
                version    text primary key,
                name       text not null,
                checksum   char(64) not null,
                applied_at timestamptz not null default now()
            )
            """, null, cancellationToken);

        var applied = new List<string>();
        foreach (var migration in Embedded)
        {
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            string? existingChecksum;
            await using (var check = new NpgsqlCommand("select checksum from schema_migrations where version = @v", connection, tx))
            {
                check.Parameters.AddWithValue("v", migration.Version);
                existingChecksum = (string?)await check.ExecuteScalarAsync(cancellationToken);
            }

            if (existingChecksum is not null)
            {
                if (existingChecksum != migration.Checksum)
                {
                    throw new InvalidOperationException(
                        $"Migration {migration.Version}_{migration.Name} was changed after it was applied. " +
                        "Applied migrations are immutable: add a new script instead.");
                }
                await tx.RollbackAsync(cancellationToken);
                continue;
            }

            await ExecuteAsync(connection, tx, migration.Sql, null, cancellationToken);
            await using (var record = new NpgsqlCommand(
                "insert into schema_migrations (version, name, checksum) values (@v, @n, @c)", connection, tx))
            {
                record.Parameters.AddWithValue("v", migration.Version);
                record.Parameters.AddWithValue("n", migration.Name);
                record.Parameters.AddWithValue("c", migration.Checksum);
                await record.ExecuteNonQueryAsync(cancellationToken);
            }
            await tx.CommitAsync(cancellationToken);
            applied.Add($"{migration.Version}_{migration.Name}");
            logger.LogInformation("Applied migration {Version} {Name}", migration.Version, migration.Name);
        }
        return applied;
    }

    private static async Task ExecuteAsync(
        NpgsqlConnection connection, NpgsqlTransaction? tx, string sql, (string Name, object Value)? parameter, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, tx);
        if (parameter is { } p)
        {
            command.Parameters.AddWithValue(p.Name, p.Value);
        }
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<Migration> LoadEmbedded()
    {
        const string prefix = "TradeMaster.Db.Migrations.";
        var assembly = typeof(MigrationRunner).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            var file = resource[prefix.Length..^".sql".Length];
            var separator = file.IndexOf('_', StringComparison.Ordinal);
            if (separator != 4 || !file[..4].All(char.IsAsciiDigit))
            {
                throw new InvalidOperationException($"Migration '{file}.sql' must be named NNNN_description.sql.");
            }
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream, Encoding.UTF8);
            migrations.Add(new Migration(file[..4], file[5..], reader.ReadToEnd()));
        }
        migrations.Sort((a, b) => string.CompareOrdinal(a.Version, b.Version));
        var duplicate = migrations.GroupBy(m => m.Version).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidOperationException($"Two migrations share version {duplicate.Key}.");
        }
        return migrations;
    }
}
