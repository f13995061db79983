namespace TradeMaster.Sink.Lake;

/// <summary>
/// The lake as a local directory. Each object is written to a hidden temporary file in its final directory,
/// flushed to disk, then renamed: readers see a complete file or none, and a crash leaves at most a temp file
/// that no reader globs (*.ndjson).
/// </summary>
public sealed class LocalLakeWriter(string root) : ILakeWriter
{
    public string Name => "local";

    public string Root { get; } = Path.GetFullPath(root);

    public async Task WriteAsync(string objectName, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathOf(objectName);
        if (File.Exists(path)) return;
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                await file.WriteAsync(content, cancellationToken);
                file.Flush(flushToDisk: true);
            }
            try
            {
                File.Move(temp, path, overwrite: false);
            }
            catch (IOException) when (File.Exists(path))
            {
                // Same deterministic name already there: the same batch was written before.
            }
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    public Task<bool> ExistsAsync(string objectName, CancellationToken cancellationToken) =>
        Task.FromResult(File.Exists(PathOf(objectName)));

    private string PathOf(string objectName)
    {
        var path = Path.GetFullPath(Path.Combine(Root, objectName.Replace('/', Path.DirectorySeparatorChar)));
        if (!path.StartsWith(Root, StringComparison.Ordinal)) throw new ArgumentException("Object name escapes the lake.", nameof(objectName));
        return path;
    }
}
