using Npgsql;
using NpgsqlTypes;

namespace TradeMaster.Sink.Batching;

/// <summary>What already holds an event id that a batch could not claim.</summary>
internal sealed record ExistingClaim(string? State, string? ObjectName, string? BatchId, string? Owner, bool LeaseExpired);

/// <summary>The sink_events table (db/migrations/0030_sink.sql): which event ids are in the lake, and where.</summary>
internal sealed class EventClaims(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    private const string ClaimSql = """
        with input as (
            select * from unnest(@ids, @objects) as t(event_id, object_name)
        ), inserted as (
            insert into sink_events (event_id, batch_id, object_name, state, owner, claimed_at)
            select event_id, @batch, object_name, 'pending', @owner, now() from input
            on conflict (event_id) do nothing
            returning event_id
        )
        select i.event_id, ins.event_id is not null, e.state, e.object_name, e.batch_id, e.owner,
               e.claimed_at < now() - @lease
        from input i
        left join inserted ins on ins.event_id = i.event_id
        left join sink_events e on e.event_id = i.event_id
        """;

    /// <summary>Claims ids for a batch in one round trip; for ids already known, says what holds them.</summary>
    /// <returns>For each id: null when this batch claimed it, else what holds it (all null fields: a concurrent claim not yet visible).</returns>
    public async Task<Dictionary<Guid, ExistingClaim?>> ClaimAsync(
        string batchId, string owner, IReadOnlyList<Guid> ids, IReadOnlyList<string> objects, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = [.. ids] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("objects", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. objects] });
        command.Parameters.Add(new NpgsqlParameter<string>("batch", NpgsqlDbType.Text) { TypedValue = batchId });
        command.Parameters.Add(new NpgsqlParameter<string>("owner", NpgsqlDbType.Text) { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", NpgsqlDbType.Interval) { TypedValue = lease });
        var result = new Dictionary<Guid, ExistingClaim?>(ids.Count);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            var claimed = reader.GetBoolean(1);
            result[id] = claimed
                ? null
                : new ExistingClaim(
                    reader.IsDBNull(2) ? null : reader.GetString(2),
                    reader.IsDBNull(3) ? null : reader.GetString(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetString(5),
                    !reader.IsDBNull(6) && reader.GetBoolean(6));
        }
        return result;
    }

    /// <summary>Moves a pending id left by a dead batch to this batch (only if nobody moved it meanwhile).</summary>
    public async Task<bool> TakeOverAsync(Guid id, string fromBatch, string batchId, string objectName, string owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            update sink_events set batch_id = @batch, object_name = @object, owner = @owner, claimed_at = now()
            where event_id = @id and batch_id = @from and state = 'pending'
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("from", fromBatch);
        command.Parameters.AddWithValue("batch", batchId);
        command.Parameters.AddWithValue("object", objectName);
        command.Parameters.AddWithValue("owner", owner);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>A pending id whose object exists was written by a batch that died before committing.</summary>
    public async Task MarkCommittedAsync(Guid id, string batchId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update sink_events set state = 'committed', committed_at = now() where event_id = @id and batch_id = @batch and state = 'pending'");
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("batch", batchId);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Commits the ids of a batch that live in objects now written (never those of an object that failed).</summary>
    public async Task CommitAsync(string batchId, IReadOnlyList<string> writtenObjects, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "update sink_events set state = 'committed', committed_at = now() where batch_id = @batch and object_name = any(@objects) and state = 'pending'");
        command.Parameters.AddWithValue("batch", batchId);
        command.Parameters.Add(new NpgsqlParameter<string[]>("objects", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. writtenObjects] });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
