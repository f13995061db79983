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

    /// <summary>
    /// The write, the fsync and the rename block their thread (.NET has no asynchronous fsync), so they run on a
    /// thread of their own: on a 2-core machine the thread pool has a handful of workers, and a worker held for
    /// the tens of milliseconds an fsync of a batch takes delays every HTTP request and grain turn behind it.
    /// </summary>
    public async Task WriteAsync(string objectName, IReadOnlyList<ReadOnlyMemory<byte>> content, CancellationToken cancellationToken)
    {
        var path = PathOf(objectName);
        if (File.Exists(path)) return;
        await Task.Factory.StartNew(() => WriteDurably(path, content), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static void WriteDurably(string path, IReadOnlyList<ReadOnlyMemory<byte>> content)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var file = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // One gathering write (pwritev) of every segment, then the fsync.
                RandomAccess.Write(file, content, fileOffset: 0);
                RandomAccess.FlushToDisk(file);
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
