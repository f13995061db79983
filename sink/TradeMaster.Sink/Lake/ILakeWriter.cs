namespace TradeMaster.Sink.Lake;

/// <summary>
/// Writes whole objects into the lake. An object becomes visible complete or not at all, and writing a name
/// that already exists is a success that changes nothing (names are deterministic per batch, so it can only be
/// a retry of the same batch).
/// </summary>
public interface ILakeWriter
{
    string Name { get; }

    /// <param name="objectName">Path relative to the lake root, '/'-separated, e.g. rejected/dt=2025-03-01/x.ndjson.</param>
    /// <param name="content">The object's bytes: these segments one after another. The batcher passes each row as
    /// it is, so that a batch of thousands of rows is never copied into one large buffer.</param>
    Task WriteAsync(string objectName, IReadOnlyList<ReadOnlyMemory<byte>> content, CancellationToken cancellationToken);

    Task<bool> ExistsAsync(string objectName, CancellationToken cancellationToken);
}
