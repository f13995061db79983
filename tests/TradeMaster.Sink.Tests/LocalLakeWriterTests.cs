using TradeMaster.Sink.Lake;

namespace TradeMaster.Sink.Tests;

public sealed class LocalLakeWriterTests : IDisposable
{
    private const string Name = "transactions/event_type=com.trademaster.sale.completed.v1/dt=2025-03-01/20250301T120000000Z-abc.ndjson";
    private readonly string _lake = LakeFiles.NewLake();

    public void Dispose()
    {
        if (Directory.Exists(_lake)) Directory.Delete(_lake, recursive: true);
    }

    [Fact]
    public async Task WriteAsync_ManySegments_ObjectIsTheirConcatenationAndNoTempFileIsLeft()
    {
        // More rows than one pwritev takes (IOV_MAX is 1,024), as a batch of 5,000 is.
        var rows = Enumerable.Range(0, 3_000).Select(i => System.Text.Encoding.UTF8.GetBytes($"{{\"n\":{i}}}\n")).ToArray();
        await new LocalLakeWriter(_lake).WriteAsync(Name, [.. rows.Select(r => (ReadOnlyMemory<byte>)r)], CancellationToken.None);

        var path = Path.Combine(_lake, Name);
        Assert.Equal(rows.SelectMany(r => r).ToArray(), await File.ReadAllBytesAsync(path));
        Assert.Equal([Path.GetFileName(path)], Directory.GetFiles(Path.GetDirectoryName(path)!, "*", SearchOption.AllDirectories).Select(Path.GetFileName));
    }

    [Fact]
    public async Task WriteAsync_NameAlreadyWritten_KeepsTheFirstObject()
    {
        var writer = new LocalLakeWriter(_lake);
        await writer.WriteAsync(Name, ["first\n"u8.ToArray()], CancellationToken.None);
        await writer.WriteAsync(Name, ["second\n"u8.ToArray()], CancellationToken.None);

        Assert.Equal("first\n"u8.ToArray(), await File.ReadAllBytesAsync(Path.Combine(_lake, Name)));
        Assert.True(await writer.ExistsAsync(Name, CancellationToken.None));
    }
}
