using TradeMaster.Sink.Lake;

namespace TradeMaster.Sink.Tests;

/// <summary>A lake writer that dies at a chosen moment, standing in for a sink process killed mid-batch.</summary>
internal sealed class FaultyLakeWriter(ILakeWriter inner, bool failAfterWrite) : ILakeWriter
{
    public string Name => inner.Name;

    public int Writes { get; private set; }

    public async Task WriteAsync(string objectName, IReadOnlyList<ReadOnlyMemory<byte>> content, CancellationToken cancellationToken)
    {
        Writes++;
        if (!failAfterWrite) throw new IOException("killed before the object was written");
        await inner.WriteAsync(objectName, content, cancellationToken);
        throw new IOException("killed after the object was written, before it was acknowledged");
    }

    public Task<bool> ExistsAsync(string objectName, CancellationToken cancellationToken) => inner.ExistsAsync(objectName, cancellationToken);
}
