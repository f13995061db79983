using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using TradeMaster.Sink.Lake;

namespace TradeMaster.Sink.Tests;

public sealed class DedupeTests
{
    [Fact]
    public async Task PostDapr_SameEventThreeTimesThenAfterRestart_IsInTheLakeOnce()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_dedupe");
        var lake = LakeFiles.NewLake();
        var e = SampleEvents.Sale();
        await using (var first = await SinkHost.StartAsync(db, lake))
        {
            // Two at once (same batch) and one after: every delivery is answered SUCCESS.
            var answers = await Task.WhenAll(first.PostDaprAsync(e.Bytes()), first.PostDaprAsync(e.Bytes()));
            Assert.All(answers, a => Assert.Equal("SUCCESS", a.DaprStatus));
            Assert.Equal("SUCCESS", (await first.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        await using (var restarted = await SinkHost.StartAsync(db, lake))
        {
            Assert.Equal("SUCCESS", (await restarted.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        Assert.Equal(1, LakeFiles.CountEvent(lake, e.Id()));
        Assert.Equal("committed", await StateAsync(db, e.Id()));
    }

    [Fact]
    public async Task PostDapr_KilledAfterWritingBeforeAcknowledging_RedeliveryNeitherLosesNorDuplicates()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_crash_after");
        var lake = LakeFiles.NewLake();
        var e = SampleEvents.Return();
        var other = SampleEvents.Sale();
        await using (var dying = await SinkHost.StartAsync(db, lake, configure: s =>
            s.AddSingleton<ILakeWriter>(new FaultyLakeWriter(new LocalLakeWriter(lake), failAfterWrite: true))))
        {
            Assert.Equal("RETRY", (await dying.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        Assert.Equal(1, LakeFiles.CountEvent(lake, e.Id()));
        Assert.Equal("pending", await StateAsync(db, e.Id()));

        await using (var restarted = await SinkHost.StartAsync(db, lake))
        {
            var answers = await Task.WhenAll(restarted.PostDaprAsync(e.Bytes()), restarted.PostDaprAsync(other.Bytes()));
            Assert.All(answers, a => Assert.Equal("SUCCESS", a.DaprStatus));
        }
        Assert.Equal(1, LakeFiles.CountEvent(lake, e.Id()));
        Assert.Equal(1, LakeFiles.CountEvent(lake, other.Id()));
        Assert.Equal("committed", await StateAsync(db, e.Id()));
    }

    [Fact]
    public async Task PostDapr_KilledBeforeWriting_RedeliveryWritesTheEventOnce()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_crash_before");
        var lake = LakeFiles.NewLake();
        var e = SampleEvents.Rental();
        await using (var dying = await SinkHost.StartAsync(db, lake, configure: s =>
            s.AddSingleton<ILakeWriter>(new FaultyLakeWriter(new LocalLakeWriter(lake), failAfterWrite: false))))
        {
            Assert.Equal("RETRY", (await dying.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        Assert.Equal(0, LakeFiles.CountEvent(lake, e.Id()));
        Assert.Equal("pending", await StateAsync(db, e.Id()));

        await using (var restarted = await SinkHost.StartAsync(db, lake))
        {
            Assert.Equal("SUCCESS", (await restarted.PostDaprAsync(e.Bytes())).DaprStatus);
            Assert.Equal("SUCCESS", (await restarted.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        Assert.Equal(1, LakeFiles.CountEvent(lake, e.Id()));
        Assert.Equal("committed", await StateAsync(db, e.Id()));
    }

    [Fact]
    public async Task PostDapr_PendingOfAnotherLiveInstance_IsRetriedNotWrittenTwice()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_lease");
        var lake = LakeFiles.NewLake();
        var e = SampleEvents.Sale();
        await using (var dying = await SinkHost.StartAsync(db, lake, new Dictionary<string, string?> { ["Sink:InstanceId"] = "other-sink" },
            s => s.AddSingleton<ILakeWriter>(new FaultyLakeWriter(new LocalLakeWriter(lake), failAfterWrite: false))))
        {
            Assert.Equal("RETRY", (await dying.PostDaprAsync(e.Bytes())).DaprStatus);
        }
        // Another instance's claim is fresh (within Sink:PendingTimeout): it may still be writing, so this one waits.
        await using var sink = await SinkHost.StartAsync(db, lake);
        Assert.Equal("RETRY", (await sink.PostDaprAsync(e.Bytes())).DaprStatus);
        Assert.Equal(0, LakeFiles.CountEvent(lake, e.Id()));

        // Once the lease ran out it is taken over.
        await using (var conn = new NpgsqlConnection(db))
        {
            await conn.OpenAsync();
            await using var age = new NpgsqlCommand("update sink_events set claimed_at = now() - interval '1 hour'", conn);
            await age.ExecuteNonQueryAsync();
        }
        Assert.Equal("SUCCESS", (await sink.PostDaprAsync(e.Bytes())).DaprStatus);
        Assert.Equal(1, LakeFiles.CountEvent(lake, e.Id()));
    }

    private static async Task<string?> StateAsync(string db, string eventId)
    {
        await using var conn = new NpgsqlConnection(db);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("select state from sink_event_states where event_id = @id", conn);
        cmd.Parameters.AddWithValue("id", Guid.Parse(eventId));
        return (string?)await cmd.ExecuteScalarAsync();
    }
}
