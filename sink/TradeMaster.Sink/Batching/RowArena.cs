using System.Collections.Concurrent;

namespace TradeMaster.Sink.Batching;

/// <summary>
/// Where the lake rows of messages waiting for their batch live: copied into shared chunks of
/// <see cref="ChunkSize"/> bytes that are reused, instead of one array per row. A row lives from its transform until
/// its batch is written, about a second, and at full speed 15,000 of them are waiting at once: as arrays of their
/// own, nearly every row outlived the gen-0 collections that came while it waited and was copied by them. A chunk
/// goes back to the free list when its last row is released, and the free list keeps at most
/// <see cref="MaxFreeChunks"/> (beyond that a chunk is left to the GC).
/// <para>
/// Each thread appends to a chunk of its own (<see cref="Append"/> does not await, so no two threads share one),
/// which holds one reference for the thread and one per row in it. A row larger than a quarter of a chunk (a
/// rejection that keeps a large body) gets an array of its own.
/// </para>
/// </summary>
public sealed class RowArena
{
    public const int ChunkSize = 1 << 20;

    public const int MaxFreeChunks = 64;

    private readonly ConcurrentStack<Chunk> _free = new();

    // The chunk this thread appends to, whichever arena it came from (tests run several sinks in one process).
    [ThreadStatic]
    private static Chunk? t_current;

    private long _chunksAllocated;

    /// <summary>Chunks ever allocated by this arena (for tests).</summary>
    public long ChunksAllocated => Interlocked.Read(ref _chunksAllocated);

    /// <summary>Chunks waiting on the free list (for tests).</summary>
    public int FreeChunks => _free.Count;

    /// <summary>A copy of the row, held until <see cref="Row.Release"/>.</summary>
    public Row Append(ReadOnlySpan<byte> row)
    {
        if (row.Length > ChunkSize / 4) return new Row(row.ToArray());
        var chunk = t_current;
        if (chunk is null || chunk.Owner != this || ChunkSize - chunk.Used < row.Length)
        {
            chunk?.Release(); // the thread's own hold
            chunk = _free.TryPop(out var reused) ? reused : NewChunk();
            chunk.Hold();
            t_current = chunk;
        }
        var offset = chunk.Used;
        row.CopyTo(chunk.Buffer.AsSpan(offset));
        chunk.Used = offset + row.Length;
        chunk.Hold();
        return new Row(chunk, offset, row.Length);
    }

    private Chunk NewChunk()
    {
        Interlocked.Increment(ref _chunksAllocated);
        return new Chunk(this);
    }

    private void Return(Chunk chunk)
    {
        chunk.Used = 0;
        if (_free.Count < MaxFreeChunks) _free.Push(chunk);
    }

    internal sealed class Chunk(RowArena owner)
    {
        private int _holds;

        public RowArena Owner { get; } = owner;

        public byte[] Buffer { get; } = new byte[ChunkSize];

        /// <summary>Bytes taken; written only by the thread the chunk is current for.</summary>
        public int Used { get; set; }

        public void Hold() => Interlocked.Increment(ref _holds);

        public void Release()
        {
            var left = Interlocked.Decrement(ref _holds);
            if (left == 0) Owner.Return(this);
            else if (left < 0) throw new InvalidOperationException("A lake row chunk was released more often than it was held.");
        }
    }

    /// <summary>
    /// One row: its bytes, valid until <see cref="Release"/>. Released once (later calls do nothing), by whoever is
    /// done with it last: the batch that wrote it or dropped it.
    /// </summary>
    public sealed class Row
    {
        private readonly Chunk? _chunk;
        private int _released;

        internal Row(Chunk chunk, int offset, int length)
        {
            _chunk = chunk;
            Memory = chunk.Buffer.AsMemory(offset, length);
        }

        /// <summary>A row that owns its bytes (a large one, or one made by a test).</summary>
        public Row(byte[] bytes) => Memory = bytes;

        public ReadOnlyMemory<byte> Memory { get; }

        public void Release()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) _chunk?.Release();
        }
    }
}
