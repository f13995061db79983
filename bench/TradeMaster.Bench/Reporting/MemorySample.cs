using System.Diagnostics;

namespace TradeMaster.Bench.Reporting;

/// <summary>
/// One reading of the soak's memory: the process's working set as Linux splits it (anonymous memory, pages mapped
/// from files, shared memory), next to what the garbage collector accounts for. The live heap is read after a full
/// blocking collection; server GC keeps garbage, and the regions holding it, until it needs the room, so an
/// uncollected heap grows with load whether or not anything leaks. What the collector had committed at the last
/// young collection before that, and how big generation 0 had grown by then, says how much of the working set is the
/// collector's allowance. The anonymous memory is the managed heap's regions plus native memory (thread stacks,
/// the runtime's own allocations, malloc); the shared memory is the JIT's code, which the runtime maps twice
/// (writable and executable views of one memfd: W^X).
/// </summary>
public readonly record struct MemorySample(double Seconds, long WorkingSet, long Anonymous, long FileBacked, long Shared, long Heap, long CommittedAfterFull, long CommittedAtYoung, long Gen0AtYoung)
{
    public static MemorySample Take(TimeSpan sinceStart)
    {
        var young = GC.GetGCMemoryInfo(GCKind.Ephemeral);
        var live = GC.GetTotalMemory(forceFullCollection: true);
        var full = GC.GetGCMemoryInfo(GCKind.Any);
        using var process = Process.GetCurrentProcess();
        var (anonymous, file, shared) = ResidentByKind();
        return new MemorySample(sinceStart.TotalSeconds, process.WorkingSet64, anonymous, file, shared, live, full.TotalCommittedBytes,
            young.TotalCommittedBytes, young.Index == 0 ? 0 : young.GenerationInfo[0].SizeBeforeBytes);
    }

    /// <summary>RssAnon, RssFile and RssShmem from /proc/self/status (Linux), in bytes; zeros where there is no such file.</summary>
    private static (long Anonymous, long File, long Shared) ResidentByKind()
    {
        const string Status = "/proc/self/status";
        if (!File.Exists(Status)) return (0, 0, 0);
        long anonymous = 0, file = 0, shared = 0;
        foreach (var line in File.ReadLines(Status))
        {
            if (line.StartsWith("RssAnon:", StringComparison.Ordinal)) anonymous = Kilobytes(line);
            else if (line.StartsWith("RssFile:", StringComparison.Ordinal)) file = Kilobytes(line);
            else if (line.StartsWith("RssShmem:", StringComparison.Ordinal)) shared = Kilobytes(line);
        }
        return (anonymous, file, shared);

        // "RssAnon:\t  245072 kB"
        static long Kilobytes(string line)
        {
            var value = line.AsSpan(line.IndexOf(':') + 1).Trim();
            return long.Parse(value[..value.IndexOf(' ')], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
    }
}
