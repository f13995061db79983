using System.Diagnostics;
using System.Text.Json;
using HdrHistogram;

namespace TradeMaster.Bench.Load;

/// <summary>How many of the events the ledger answered for reached the lake, and how long after the answer.</summary>
public sealed record LakeReport(long Expected, long Found, LongHistogram LagMs, TimeSpan Waited)
{
    public bool Complete => Found == Expected;

    public double Ms(double percentile) => LagMs.TotalCount == 0 ? double.NaN : LagMs.GetValueAtPercentile(percentile);
}

/// <summary>
/// Reads the local lake (NDJSON objects under transactions/event_type=*/dt=*/): each object's event ids, and its
/// file time, which the local writer sets while writing, just before it fsyncs and renames the object into place.
/// Lag = that time − the time the load generator got the ledger's answer.
/// </summary>
public static class LakeWatcher
{
    public static async Task<LakeReport> WaitForAsync(string lakeRoot, AnsweredEvents expected, TimeSpan deadline, CancellationToken cancellationToken = default)
    {
        var lag = new LongHistogram(1, 3_600_000, 3);
        var seenFiles = new HashSet<string>(StringComparer.Ordinal);
        var found = new bool[expected.Count];
        var foundCount = 0;
        var started = Stopwatch.StartNew();
        var transactions = Path.Combine(lakeRoot, "transactions");
        while (true)
        {
            if (Directory.Exists(transactions))
            {
                foreach (var file in Directory.EnumerateFiles(transactions, "*.ndjson", SearchOption.AllDirectories))
                {
                    if (!seenFiles.Add(file)) continue;
                    var writtenTicks = File.GetLastWriteTimeUtc(file).Ticks;
                    foreach (var id in EventIds(await File.ReadAllBytesAsync(file, cancellationToken)))
                    {
                        var index = expected.IndexOf(id);
                        if (index < 0 || found[index]) continue;
                        found[index] = true;
                        foundCount++;
                        lag.RecordValue(Math.Max(1, (writtenTicks - expected.TicksAt(index)) / TimeSpan.TicksPerMillisecond));
                    }
                }
            }
            if (foundCount >= expected.Count || started.Elapsed >= deadline) break;
            await Task.Delay(500, cancellationToken);
        }
        return new LakeReport(expected.Count, foundCount, lag, started.Elapsed);
    }

    private static List<Guid> EventIds(byte[] ndjson)
    {
        var ids = new List<Guid>();
        var span = ndjson.AsSpan();
        while (!span.IsEmpty)
        {
            var end = span.IndexOf((byte)'\n');
            var line = end < 0 ? span : span[..end];
            span = end < 0 ? default : span[(end + 1)..];
            if (line.IsEmpty) continue;
            var reader = new Utf8JsonReader(line);
            while (reader.Read())
            {
                if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("event_id"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String && reader.TryGetGuid(out var id)) ids.Add(id);
                    break;
                }
                if (reader.CurrentDepth >= 1 && reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray) reader.Skip();
            }
        }
        return ids;
    }
}
