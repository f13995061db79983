using Npgsql;

namespace TradeMaster.Bench.Baselines;

/// <summary>
/// PostgreSQL's own ceiling for "one durable row write per transaction": a one-row upsert per statement
/// (autocommit, the server's own durability settings), one connection per worker, prepared, like pgbench.
/// </summary>
public static class PostgresUpsert
{
    public static async Task<ClosedLoopResult> RunAsync(string connectionString, int concurrency, TimeSpan warmup, TimeSpan duration)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString) { MaxPoolSize = Math.Max(concurrency + 4, 20), Pooling = true };
        await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
        await using (var create = dataSource.CreateCommand(
            "create table if not exists bench_upsert (id int primary key, value bigint not null, updated_at timestamptz not null)"))
        {
            await create.ExecuteNonQueryAsync();
        }
        var connections = new NpgsqlConnection[concurrency];
        var commands = new NpgsqlCommand[concurrency];
        for (var i = 0; i < concurrency; i++)
        {
            connections[i] = await dataSource.OpenConnectionAsync();
            var command = new NpgsqlCommand(
                "insert into bench_upsert (id, value, updated_at) values ($1, $2, now()) on conflict (id) do update set value = excluded.value, updated_at = excluded.updated_at",
                connections[i]);
            command.Parameters.Add(new NpgsqlParameter<int> { TypedValue = 0 });
            command.Parameters.Add(new NpgsqlParameter<long> { TypedValue = 0 });
            await command.PrepareAsync();
            commands[i] = command;
        }
        try
        {
            return await ClosedLoop.RunAsync("PostgreSQL one-row upsert", concurrency, warmup, duration, async (worker, n) =>
            {
                var command = commands[worker];
                ((NpgsqlParameter<int>)command.Parameters[0]).TypedValue = (worker * 1000) + (int)(n % 1000);
                ((NpgsqlParameter<long>)command.Parameters[1]).TypedValue = n;
                await command.ExecuteNonQueryAsync();
            });
        }
        finally
        {
            for (var i = 0; i < concurrency; i++)
            {
                await commands[i].DisposeAsync();
                await connections[i].DisposeAsync();
            }
        }
    }
}
