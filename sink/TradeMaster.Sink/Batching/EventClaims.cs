using Npgsql;
using NpgsqlTypes;

namespace TradeMaster.Sink.Batching;

/// <summary>What already holds an event id that a batch could not claim.</summary>
internal sealed record ExistingClaim(string? State, string? ObjectName, string? BatchId, string? Owner, bool LeaseExpired);

/// <summary>The sink_events table (db/migrations/0030_sink.sql): which event ids are in the lake, and where.</summary>
internal sealed class EventClaims(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    // The ids travel with the index of their object in a short array of distinct names (a batch has a few lake
    // directories, not one per event), and only the ids this batch could not claim come back.
    private const string ClaimSql = """
        with input as (
            select * from unnest(@ids, @object_indexes) as t(event_id, object_index)
        ), inserted as (
            insert into sink_events (event_id, batch_id, object_name, state, owner, claimed_at)
            select event_id, @batch, (@objects::text[])[object_index], 'pending', @owner, now() from input
            on conflict (event_id) do nothing
            returning event_id
        )
        select i.event_id, e.state, e.object_name, e.batch_id, e.owner, e.claimed_at < now() - @lease
        from input i
        left join inserted ins on ins.event_id = i.event_id
        left join sink_events e on e.event_id = i.event_id
        where ins.event_id is null
        """;

    /// <summary>Claims ids for a batch in one round trip; for ids already known, says what holds them.</summary>
    /// <param name="objectIndexes">For each id, the index in <paramref name="objects"/> of the object it goes to.</param>
    /// <returns>
    /// The ids this batch could not claim, with what holds them (all null fields: a concurrent claim not yet
    /// visible); every id not in it is claimed by this batch.
    /// </returns>
    public async Task<Dictionary<Guid, ExistingClaim>> ClaimAsync(
        string batchId, string owner, Guid[] ids, int[] objectIndexes, string[] objects, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = ids });
        // PostgreSQL arrays are 1-based.
        command.Parameters.Add(new NpgsqlParameter<int[]>("object_indexes", NpgsqlDbType.Array | NpgsqlDbType.Integer)
        {
            TypedValue = [.. objectIndexes.Select(i => i + 1)],
        });
        command.Parameters.Add(new NpgsqlParameter<string[]>("objects", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = objects });
        command.Parameters.Add(new NpgsqlParameter<string>("batch", NpgsqlDbType.Text) { TypedValue = batchId });
        command.Parameters.Add(new NpgsqlParameter<string>("owner", NpgsqlDbType.Text) { TypedValue = owner });
        command.Parameters.Add(new NpgsqlParameter<TimeSpan>("lease", NpgsqlDbType.Interval) { TypedValue = lease });
        var result = new Dictionary<Guid, ExistingClaim>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetGuid(0)] = new ExistingClaim(
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                !reader.IsDBNull(5) && reader.GetBoolean(5));
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
