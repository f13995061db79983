using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Npgsql;
using TradeMaster.Db.Migrations;
using TradeMaster.Sink.Batching;
using TradeMaster.Sink.Lake;
using TradeMaster.Testing;

namespace TradeMaster.Sink.Tests;

/// <summary>
/// The commit as one sink_batches row per written object (db/migrations/0031_sink_batches.sql): an event's state
/// follows from its claim's object, and no claim is rewritten to commit it.
/// </summary>
public sealed class SinkBatchesTests
{
    [Fact]
    public async Task PostDapr_BatchCommitted_OneRowPerObjectAndTheClaimsAreNotRewritten()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_batches_commit");
        var lake = LakeFiles.NewLake();
        var sale = SampleEvents.Sale();
        var rental = SampleEvents.Rental();
        await using (var sink = await SinkHost.StartAsync(db, lake))
        {
            var answers = await Task.WhenAll(sink.PostDaprAsync(sale.Bytes()), sink.PostDaprAsync(rental.Bytes()));
            Assert.All(answers, a => Assert.Equal("SUCCESS", a.DaprStatus));
        }

        foreach (var id in new[] { sale.Id(), rental.Id() })
        {
            var claim = await ClaimAsync(db, id);
            Assert.Equal("sink-tests", claim.Owner);
            Assert.EndsWith($"/{claim.BatchId}.ndjson", claim.ObjectName, StringComparison.Ordinal);
            Assert.True(File.Exists(Path.Combine(lake, claim.ObjectName)), $"{claim.ObjectName} is in the lake");
            // The claim row is still the one the claim inserted: written by an earlier transaction than the commit.
            Assert.True(await ScalarAsync<bool>(db, """
                select e.xmin::text::bigint < b.xmin::text::bigint
                from sink_events e join sink_batches b on b.batch_id = e.batch_id and b.object_name = e.object_name
                where e.event_id = @id
                """, ("id", Guid.Parse(id))), "the commit inserted a batch row after the claim and left the claim alone");
        }
        // Sale and rental live in two lake directories: two objects, each committed once.
        Assert.Equal(2L, await ScalarAsync<long>(db, "select count(*) from sink_batches"));
        Assert.Equal(2L, await ScalarAsync<long>(db, "select count(distinct (batch_id, object_name)) from sink_events"));
    }

    [Fact]
    public async Task PostDapr_KilledAfterWritingBeforeCommit_RedeliveryCommitsTheDeadBatchsObjectAndWritesNothing()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_batches_after_write");
        var lake = LakeFiles.NewLake();
        var e = SampleEvents.Sale();
        await using (var dying = await SinkHost.StartAsync(db, lake, configure: s =>
            s.AddSingleton<ILakeWriter>(new FaultyLakeWriter(new LocalLakeWriter(lake), failAfterWrite: true))))
        {
            Assert.Equal("RETRY", (await dying.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        var dead = await ClaimAsync(db, e.Id());
        Assert.Equal(0L, await ScalarAsync<long>(db, "select count(*) from sink_batches"));

        await using (var restarted = await SinkHost.StartAsync(db, lake))
        {
            Assert.Equal("SUCCESS", (await restarted.PostDaprAsync(e.Bytes())).DaprStatus);
            Assert.Equal("SUCCESS", (await restarted.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        Assert.Equal(1, LakeFiles.CountEvent(lake, e.Id()));
        // The event stays with the object that holds it; that object is now committed.
        Assert.Equal(dead, await ClaimAsync(db, e.Id()));
        Assert.Equal(1L, await ScalarAsync<long>(db, "select count(*) from sink_batches where batch_id = @b and object_name = @o", ("b", dead.BatchId), ("o", dead.ObjectName)));
    }

    [Fact]
    public async Task PostDapr_StaleClaimOfADeadInstance_IsTakenOverByANewBatchAndWrittenOnce()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_batches_takeover");
        var lake = LakeFiles.NewLake();
        var e = SampleEvents.Rental();
        await using (var dying = await SinkHost.StartAsync(db, lake, new Dictionary<string, string?> { ["Sink:InstanceId"] = "dead-sink" },
            s => s.AddSingleton<ILakeWriter>(new FaultyLakeWriter(new LocalLakeWriter(lake), failAfterWrite: false))))
        {
            Assert.Equal("RETRY", (await dying.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        var dead = await ClaimAsync(db, e.Id());
        Assert.Equal("dead-sink", dead.Owner);
        await ExecuteAsync(db, "update sink_events set claimed_at = now() - interval '1 hour'");

        await using (var sink = await SinkHost.StartAsync(db, lake))
        {
            Assert.Equal("SUCCESS", (await sink.PostDaprAsync(e.Bytes())).DaprStatus);
            Assert.Equal("SUCCESS", (await sink.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        Assert.Equal(1, LakeFiles.CountEvent(lake, e.Id()));
        var taken = await ClaimAsync(db, e.Id());
        Assert.Equal("sink-tests", taken.Owner);
        Assert.NotEqual(dead.BatchId, taken.BatchId);
        Assert.Equal("committed", await ScalarAsync<string>(db, "select state from sink_event_states where event_id = @id", ("id", Guid.Parse(e.Id()))));
        Assert.Equal(0L, await ScalarAsync<long>(db, "select count(*) from sink_batches where batch_id = @b", ("b", dead.BatchId)));
    }

    [Fact]
    public async Task PostDapr_CommittedEventWhoseLeaseRanOut_IsADuplicateAndItsClaimIsKept()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_batches_committed");
        var lake = LakeFiles.NewLake();
        var e = SampleEvents.Sale();
        await using (var other = await SinkHost.StartAsync(db, lake, new Dictionary<string, string?> { ["Sink:InstanceId"] = "other-sink" }))
        {
            Assert.Equal("SUCCESS", (await other.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        var written = await ClaimAsync(db, e.Id());
        // Old enough to be taken over if it were pending; the object is committed, so it must not be.
        await ExecuteAsync(db, "update sink_events set claimed_at = now() - interval '1 hour'");

        await using (var sink = await SinkHost.StartAsync(db, lake))
        {
            Assert.Equal("SUCCESS", (await sink.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        Assert.Equal(1, LakeFiles.CountEvent(lake, e.Id()));
        Assert.Equal(written, await ClaimAsync(db, e.Id()));
    }

    [Fact]
    public async Task Flush_ClaimFailsHalfWay_WritesNoneOfItsIdsSoNoneIsCommittedUnwritten()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_batches_claim_fault");
        var lake = LakeFiles.NewLake();
        const string directory = "transactions/event_type=test/dt=2025-03-01";
        PendingMessage Delivery(Guid id) => new(id, directory, Encoding.UTF8.GetBytes($"{{\"event_id\":\"{id}\"}}\n"));
        var (first, stale, second) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());

        // A claim of this instance whose object was never written: resolving it asks the lake whether it exists.
        await NewBatcher(db, new FaultyLakeWriter(new LocalLakeWriter(lake), failAfterWrite: false)).FlushAsync([Delivery(stale)]);

        // That question fails after `first` was claimed and before `second` was looked at; both were claimed for
        // the same object.
        var broken = new[] { Delivery(first), Delivery(stale), Delivery(second) };
        await NewBatcher(db, new UnreachableLake(new LocalLakeWriter(lake))).FlushAsync(broken);
        Assert.All(broken, m => Assert.True(m.Completion.IsFaulted));
        Assert.Empty(LakeFiles.Transactions(lake));
        Assert.Equal(0L, await ScalarAsync<long>(db, "select count(*) from sink_batches"));

        var redelivered = new[] { Delivery(first), Delivery(stale), Delivery(second) };
        await NewBatcher(db, new LocalLakeWriter(lake)).FlushAsync(redelivered);
        Assert.All(redelivered, m => Assert.Equal(SinkOutcome.Accepted, m.Completion.Result));
        foreach (var id in new[] { first, stale, second }) Assert.Equal(1, LakeFiles.CountEvent(lake, id.ToString()));
    }

    [Fact]
    public async Task Migration0031_DatabaseWithEventsOf0030_KeepsCommittedCommittedAndPendingPending()
    {
        var db = await PostgresServer.CreateEmptyDatabaseAsync("sink_batches_migrate");
        await using var dataSource = NpgsqlDataSource.Create(db);
        // The schema as it was before 0031, recorded as applied so the runner carries on from there.
        await ExecuteAsync(db, "create table schema_migrations (version text primary key, name text not null, checksum char(64) not null, applied_at timestamptz not null default now())");
        foreach (var m in MigrationRunner.Embedded.Where(m => string.CompareOrdinal(m.Version, "0031") < 0))
        {
            await ExecuteAsync(db, m.Sql);
            await using var record = dataSource.CreateCommand("insert into schema_migrations (version, name, checksum) values ($1, $2, $3)");
            record.Parameters.Add(new NpgsqlParameter { Value = m.Version });
            record.Parameters.Add(new NpgsqlParameter { Value = m.Name });
            record.Parameters.Add(new NpgsqlParameter { Value = m.Checksum });
            await record.ExecuteNonQueryAsync();
        }
        var (committed, resolved, leftover, pending) = (Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid(), Guid.NewGuid());
        // a: committed by its batch. b: one id found in its object by a later delivery (marked alone), the other
        // still pending in the same object. c: written nowhere yet.
        await ExecuteAsync(db, $"""
            insert into sink_events (event_id, batch_id, object_name, state, owner, claimed_at, committed_at) values
              ('{committed}', 'a', 'x/a.ndjson', 'committed', 'old', now() - interval '2 days', timestamptz '2026-11-01 10:00:00+00'),
              ('{resolved}', 'b', 'x/b.ndjson', 'committed', 'old', now() - interval '1 day', now()),
              ('{leftover}', 'b', 'x/b.ndjson', 'pending', 'old', now() - interval '1 day', null),
              ('{pending}', 'c', 'x/c.ndjson', 'pending', 'old', now() - interval '1 hour', null)
            """);

        var applied = await new MigrationRunner(dataSource, NullLogger<MigrationRunner>.Instance).ApplyAsync();

        Assert.Contains("0031_sink_batches", applied);
        Assert.Equal("committed", await ScalarAsync<string>(db, "select state from sink_event_states where event_id = @id", ("id", committed)));
        Assert.Equal("committed", await ScalarAsync<string>(db, "select state from sink_event_states where event_id = @id", ("id", resolved)));
        Assert.Equal("committed", await ScalarAsync<string>(db, "select state from sink_event_states where event_id = @id", ("id", leftover)));
        Assert.Equal("pending", await ScalarAsync<string>(db, "select state from sink_event_states where event_id = @id", ("id", pending)));
        Assert.Equal(new DateTime(2026, 11, 1, 10, 0, 0, DateTimeKind.Utc),
            await ScalarAsync<DateTime>(db, "select committed_at from sink_batches where batch_id = 'a'"));
        Assert.Equal(0L, await ScalarAsync<long>(db, "select count(*) from information_schema.columns where table_name = 'sink_events' and column_name in ('state', 'committed_at')"));

        // The sink's own claim reads the carried-over state the same way.
        await using var claims = new EventClaims(NpgsqlDataSource.Create(db));
        var known = await claims.ClaimAsync("new", "sink-tests", [committed, leftover, pending], [0, 0, 0], ["x/new.ndjson"], TimeSpan.FromMinutes(2), CancellationToken.None);
        Assert.True(known[committed].Committed);
        Assert.True(known[leftover].Committed);
        Assert.False(known[pending].Committed);
        Assert.True(known[pending].LeaseExpired);
    }

    private static LakeBatcher NewBatcher(string db, ILakeWriter writer)
    {
        var options = Options.Create(new SinkOptions { InstanceId = "sink-tests" });
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        return new LakeBatcher(writer, new EventClaims(NpgsqlDataSource.Create(db)), options, TimeProvider.System,
            new SinkMetrics(services.GetRequiredService<IMeterFactory>()), NullLogger<LakeBatcher>.Instance);
    }

    /// <summary>A lake that cannot say whether an object exists (a storage outage while resolving an old claim).</summary>
    private sealed class UnreachableLake(ILakeWriter inner) : ILakeWriter
    {
        public string Name => inner.Name;

        public Task WriteAsync(string objectName, IReadOnlyList<ReadOnlyMemory<byte>> content, CancellationToken cancellationToken) =>
            inner.WriteAsync(objectName, content, cancellationToken);

        public Task<bool> ExistsAsync(string objectName, CancellationToken cancellationToken) => throw new IOException("the lake is unreachable");
    }

    private sealed record Claim(string BatchId, string ObjectName, string Owner);

    private static async Task<Claim> ClaimAsync(string db, string eventId)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select batch_id, object_name, owner from sink_events where event_id = @id", conn);
        cmd.Parameters.AddWithValue("id", Guid.Parse(eventId));
        await using var reader = await cmd.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync(), $"event {eventId} is claimed");
        return new Claim(reader.GetString(0), reader.GetString(1), reader.GetString(2));
    }

    private static async Task<T> ScalarAsync<T>(string db, string sql, params (string Name, object Value)[] parameters)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        foreach (var (name, value) in parameters) cmd.Parameters.AddWithValue(name, value);
        return (T)(await cmd.ExecuteScalarAsync())!;
    }

    private static async Task ExecuteAsync(string db, string sql)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await cmd.ExecuteNonQueryAsync();
    }
}
