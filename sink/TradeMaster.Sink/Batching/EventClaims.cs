using Npgsql;
using NpgsqlTypes;

namespace TradeMaster.Sink.Batching;

/// <summary>
/// What already holds an event id that a batch could not claim. All null (<see cref="Visible"/> false): a
/// concurrent claim not yet visible to this batch's snapshot.
/// </summary>
internal sealed record ExistingClaim(string? BatchId, string? ObjectName, string? Owner, bool LeaseExpired, bool Committed)
{
    public bool Visible => BatchId is not null;
}

/// <summary>
/// The dedupe tables (db/migrations/0030_sink.sql, 0031_sink_batches.sql): sink_events, which batch claimed each
/// event id and the lake object it goes to; sink_batches, the objects written. An event is in the lake when the
/// object of its claim is in sink_batches, so a commit inserts a row per object and never touches the claims.
/// </summary>
internal sealed class EventClaims(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    // The ids travel with the index of their object in a short array of distinct names (a batch has a few lake
    // directories, not one per event), and only the ids this batch could not claim come back. Usually every id
    // is new: the one-time filter (an init plan, evaluated once) then skips the anti-join and the look-ups.
    // The look-ups read the statement's snapshot, which does not include a concurrent claim that made the
    // insert skip an id: such an id comes back with nulls.
    private const string ClaimSql = """
        with input as (
            select * from unnest(@ids, @object_indexes) as t(event_id, object_index)
        ), inserted as (
            insert into sink_events (event_id, batch_id, object_name, owner, claimed_at)
            select event_id, @batch, (@objects::text[])[object_index], @owner, now() from input
            on conflict (event_id) do nothing
            returning event_id
        )
        select i.event_id, e.batch_id, e.object_name, e.owner, e.claimed_at < now() - @lease,
               exists (select from sink_batches b where b.batch_id = e.batch_id and b.object_name = e.object_name)
        from input i
        left join sink_events e on e.event_id = i.event_id
        where (select count(*) from inserted) < cardinality(@ids)
          and not exists (select from inserted ins where ins.event_id = i.event_id)
        """;

    /// <summary>Claims ids for a batch in one round trip; for ids already known, says what holds them.</summary>
    /// <param name="objectIndexes">For each id, the index in <paramref name="objects"/> of the object it goes to.</param>
    /// <returns>The ids this batch could not claim, with what holds them; every id not in it is claimed by this batch.</returns>
    public async Task<Dictionary<Guid, ExistingClaim>> ClaimAsync(
        string batchId, string owner, Guid[] ids, int[] objectIndexes, string[] objects, TimeSpan lease, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClaimSql);
        command.Parameters.Add(new NpgsqlParameter<Guid[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { TypedValue = ids });
        // PostgreSQL arrays are 1-based.
        var oneBased = new int[objectIndexes.Length];
        for (var i = 0; i < oneBased.Length; i++) oneBased[i] = objectIndexes[i] + 1;
        command.Parameters.Add(new NpgsqlParameter<int[]>("object_indexes", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = oneBased });
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
                !reader.IsDBNull(4) && reader.GetBoolean(4),
                reader.GetBoolean(5));
        }
        return result;
    }

    /// <summary>
    /// Moves an id claimed by a batch that died before writing its object to this batch (only if nobody moved it
    /// meanwhile and the dead batch's object was not committed meanwhile).
    /// </summary>
    public async Task<bool> TakeOverAsync(Guid id, string fromBatch, string batchId, string objectName, string owner, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            update sink_events e set batch_id = @batch, object_name = @object, owner = @owner, claimed_at = now()
            where e.event_id = @id and e.batch_id = @from
              and not exists (select from sink_batches b where b.batch_id = e.batch_id and b.object_name = e.object_name)
            """);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("from", fromBatch);
        command.Parameters.AddWithValue("batch", batchId);
        command.Parameters.AddWithValue("object", objectName);
        command.Parameters.AddWithValue("owner", owner);
        return await command.ExecuteNonQueryAsync(cancellationToken) == 1;
    }

    /// <summary>
    /// Records objects of a batch as written, which commits every id claimed for them. Called by the batch itself
    /// (never for an object whose write failed) and for the object of a batch that died after writing it.
    /// </summary>
    public async Task CommitAsync(string batchId, IReadOnlyList<string> writtenObjects, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "insert into sink_batches (batch_id, object_name) select @batch, o from unnest(@objects) as o on conflict do nothing");
        command.Parameters.AddWithValue("batch", batchId);
        command.Parameters.Add(new NpgsqlParameter<string[]>("objects", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. writtenObjects] });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
