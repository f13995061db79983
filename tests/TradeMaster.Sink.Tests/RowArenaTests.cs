using System.Text;
using TradeMaster.Sink.Batching;

namespace TradeMaster.Sink.Tests;

public sealed class RowArenaTests
{
    private static byte[] RowOf(int n) => Encoding.UTF8.GetBytes($"{{\"n\":{n},\"pad\":\"{new string((char)('a' + n % 26), n % 300)}\"}}\n");

    [Fact]
    public void Append_ManyRows_EachKeepsItsBytesUntilReleased()
    {
        var arena = new RowArena();
        // Well over one chunk, so rows of several chunks are alive together.
        var rows = Enumerable.Range(0, 20_000).Select(n => (N: n, Row: arena.Append(RowOf(n)))).ToList();

        Assert.All(rows, r => Assert.Equal(RowOf(r.N), r.Row.Memory.ToArray()));
        Assert.True(arena.ChunksAllocated > 1);
    }

    [Fact]
    public void Release_EveryRowOfAChunk_ChunkIsReusedAndLiveRowsAreUntouched()
    {
        var arena = new RowArena();
        var first = Enumerable.Range(0, 10_000).Select(n => (N: n, Row: arena.Append(RowOf(n)))).ToList();
        var chunks = arena.ChunksAllocated;
        // Release the even rows only: no chunk is empty, so nothing may be reused.
        foreach (var (n, row) in first.Where(r => r.N % 2 == 0)) row.Release();
        var more = Enumerable.Range(10_000, 10_000).Select(n => (N: n, Row: arena.Append(RowOf(n)))).ToList();
        Assert.All(first.Where(r => r.N % 2 == 1).Concat(more), r => Assert.Equal(RowOf(r.N), r.Row.Memory.ToArray()));

        // Now every row of the first chunks: they go back to the free list and are appended to again, not allocated anew.
        foreach (var (_, row) in first.Concat(more)) row.Release();
        var allocated = arena.ChunksAllocated;
        Assert.True(arena.FreeChunks > 0);
        var again = Enumerable.Range(0, 10_000).Select(n => (N: n, Row: arena.Append(RowOf(n)))).ToList();
        Assert.Equal(allocated, arena.ChunksAllocated);
        Assert.All(again, r => Assert.Equal(RowOf(r.N), r.Row.Memory.ToArray()));
        Assert.True(chunks >= 2);
    }

    [Fact]
    public void Release_Twice_ReleasesOnce()
    {
        var arena = new RowArena();
        var kept = arena.Append(RowOf(1));
        var twice = arena.Append(RowOf(2));
        twice.Release();
        twice.Release();
        // Had the second release counted, the first chunk would be freed under kept once the filler rows in it are
        // released and the thread has moved to a second chunk; the rows appended after would then overwrite kept.
        var filler = Enumerable.Range(0, 6_000).Select(n => arena.Append(RowOf(n))).ToList();
        Assert.All(filler, r => r.Release());
        var after = Enumerable.Range(0, 12_000).Select(n => arena.Append(RowOf(n))).ToList();
        Assert.Equal(RowOf(1), kept.Memory.ToArray());
        Assert.All(after, r => r.Release());
    }

    [Fact]
    public async Task Append_FromManyThreadsWhileOthersRelease_NoRowIsOverwritten()
    {
        var arena = new RowArena();
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            var live = new Queue<(int N, RowArena.Row Row)>();
            for (var i = 0; i < 20_000; i++)
            {
                var n = t * 1_000_000 + i;
                live.Enqueue((n, arena.Append(RowOf(n))));
                // Rows die in arrival order, about 500 later, as batches complete.
                if (live.Count > 500)
                {
                    var (old, row) = live.Dequeue();
                    if (!row.Memory.Span.SequenceEqual(RowOf(old))) Interlocked.Increment(ref failures);
                    row.Release();
                }
            }
            foreach (var (n, row) in live)
            {
                if (!row.Memory.Span.SequenceEqual(RowOf(n))) Interlocked.Increment(ref failures);
                row.Release();
            }
        })));

        Assert.Equal(0, failures);
        // 160,000 rows of ~250 bytes went through a handful of reused chunks, not 40 MB of new ones.
        Assert.True(arena.ChunksAllocated < 40, $"{arena.ChunksAllocated} chunks allocated");
    }

    [Fact]
    public void Append_RowLargerThanAQuarterChunk_OwnsItsBytes()
    {
        var arena = new RowArena();
        var large = new byte[RowArena.ChunkSize / 2];
        Random.Shared.NextBytes(large);
        var row = arena.Append(large);
        Assert.Equal(large, row.Memory.ToArray());
        Assert.Equal(0, arena.ChunksAllocated);
        row.Release();
    }
}
