using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Runtime.ExceptionServices;
using System.Text.Json;
using HdrHistogram;
using TradeMaster.Bench.Reporting;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Simulation;

namespace TradeMaster.Bench.Load;

public sealed record LoadSettings(double Rate, TimeSpan Duration, TimeSpan Warmup, int MaxInFlight = 2048)
{
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
}

/// <summary>What one open-loop run measured. Latencies in microseconds, from each request's intended send time.</summary>
public sealed class LoadResult(string label, LoadSettings settings)
{
    public string Label { get; } = label;

    public LoadSettings Settings { get; } = settings;

    public LongConcurrentHistogram Latency { get; } = new(1, 3_600_000_000L, 3);

    /// <summary>Answers in the measured window: 201 (accepted) and ledger refusals (409/404/422 with a code).</summary>
    public long Accepted;
    public long Refused;
    public long Errors;
    public long Intended;

    /// <summary>Requests due in the window that the generator could not send before the window closed (in-flight cap reached).</summary>
    public long Unsent;

    /// <summary>Warm-up requests that were never sent either (the server was too slow to leave the warm-up).</summary>
    public long UnsentWarmup;

    /// <summary>Deliberately malformed API calls answered 4xx, as they should be (measured window; not ledger answers).</summary>
    public long MalformedRefused;

    /// <summary>Deliberately malformed CloudEvents the sink took (into the lake's rejected set), measured window.</summary>
    public long MalformedDelivered;

    /// <summary>Ledger answers (201 or refusal) completed inside the measured window: the sustained throughput.</summary>
    public long AnsweredInWindow;
    public long AcceptedInWindow;
    public long PeakInFlight;
    public double SendLagMaxMs;

    /// <summary>CPU used during the measured window (host + generator, and PostgreSQL), when the target is embedded.</summary>
    public CpuSample? WindowCpu { get; set; }

    /// <summary>
    /// Time the JIT spent compiling during the measured window, all threads: near zero once the process is in steady
    /// state; seconds of it mean the window also measured the tiered JIT (on two cores, CPU taken from the host).
    /// </summary>
    public JitSample? WindowJit { get; set; }

    /// <summary>What the measured window cost the GC of this process (the embedded host's and the generator's).</summary>
    public GcSample? WindowGc { get; set; }

    /// <summary>Where the answers waited inside the ledger during the window (<see cref="LedgerWindow"/>), when it runs in this process.</summary>
    public string? WindowLedger { get; set; }

    /// <summary>CPU microseconds per ledger answer in the window (NaN without a CPU reading).</summary>
    public double CpuMicrosecondsPerAnswer => WindowCpu is { } cpu && AnsweredInWindow > 0 ? cpu.TotalSeconds * 1e6 / AnsweredInWindow : double.NaN;

    /// <summary>Bytes this process allocated in the window per ledger answer in it, as <see cref="CpuMicrosecondsPerAnswer"/> counts them (NaN without a GC reading).</summary>
    public double AllocatedBytesPerAnswer => WindowGc is { } gc && AnsweredInWindow > 0 ? (double)gc.Allocated / AnsweredInWindow : double.NaN;

    /// <summary>The measured window's answers by the second they were due in: where in the run the slow ones were.</summary>
    public LatencyBySecond BySecond { get; } = new((int)Math.Ceiling(settings.Duration.TotalSeconds));

    public ConcurrentDictionary<string, long> RefusalsByCode { get; } = new();
    public ConcurrentDictionary<string, long> ErrorsByKind { get; } = new();

    /// <summary>Every event the ledger said it recorded (warm-up included): event id → UTC ticks of the answer.</summary>
    public AnsweredEvents Events { get; } = new((long)Math.Ceiling(settings.Rate * (settings.Warmup + settings.Duration).TotalSeconds) + 1);

    public TimeSpan Elapsed { get; set; }

    public double AnsweredPerSecond => AnsweredInWindow / Settings.Duration.TotalSeconds;

    public double AcceptedPerSecond => AcceptedInWindow / Settings.Duration.TotalSeconds;

    public double Ms(double percentile) => Latency.TotalCount == 0 ? double.NaN : Latency.GetValueAtPercentile(percentile) / 1000.0;

    public double MaxMs => Latency.TotalCount == 0 ? double.NaN : Latency.GetMaxValue() / 1000.0;
}

/// <summary>
/// Open-loop load: request i is due at start + i / rate whatever happened to the ones before it, and its latency
/// is measured from that intended time, so a stalled server is charged for every request that should have gone
/// out meanwhile (no coordinated omission). Keep-alive HTTP/1.1 over a pool of up to MaxInFlight connections.
/// The requests are the simulator's <see cref="TrafficMix"/>, sent as the simulator sends them
/// (<see cref="Simulator.CreateMessage"/>), without its customer look-ups and retries: one request, one answer.
/// </summary>
public sealed class OpenLoopGenerator : IDisposable
{
    private readonly HttpClient _client;
    private readonly Uri _gateway;
    private readonly Uri _sink;

    /// <param name="sinkAddress">Where the sink's Dapr topic route is, for malformed events; default the gateway's (the embedded host serves both).</param>
    public OpenLoopGenerator(Uri baseAddress, int maxConnections, Uri? sinkAddress = null)
    {
        _gateway = baseAddress;
        _sink = sinkAddress ?? baseAddress;
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = maxConnections,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseProxy = false,
        };
        _client = new HttpClient(handler) { Timeout = LoadSettings.RequestTimeout };
    }

    public void Dispose() => _client.Dispose();

    /// <param name="cpu">Reads the CPU used so far, at the start and the end of the measured window.</param>
    public async Task<LoadResult> RunAsync(string label, TrafficMix mix, LoadSettings settings, Action<string>? progress = null,
        Func<CpuSample>? cpu = null, CancellationToken cancellationToken = default)
    {
        var result = new LoadResult(label, settings);
        var frequency = (double)Stopwatch.Frequency;
        var total = (long)(settings.Rate * (settings.Warmup + settings.Duration).TotalSeconds);
        var warmupRequests = (long)(settings.Rate * settings.Warmup.TotalSeconds);
        var interval = frequency / settings.Rate;
        var gate = new SemaphoreSlim(settings.MaxInFlight);
        // Requests in flight, plus one held by this loop until it has sent its last: whoever brings it to zero is
        // the last to finish and completes `drained`. O(1) per request, where keeping a list of the in-flight
        // tasks to await cost a scan of the list per send under overload.
        long pending = 1;
        var drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ExceptionDispatchInfo? fault = null;
        var start = Stopwatch.GetTimestamp();
        var windowStart = start + (long)(settings.Warmup.TotalSeconds * frequency);
        var windowEnd = windowStart + (long)(settings.Duration.TotalSeconds * frequency);
        var nextProgress = start + (long)frequency * 5;
        var jitAtProgress = JitSample.Take();
        CpuSample? cpuAtWindowStart = null;
        JitSample? jitAtWindowStart = null;
        GcSample? gcAtWindowStart = null;
        LedgerWindow? ledger = null;

        for (long i = 0; i < total; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var intended = start + (long)(i * interval);
            if (Stopwatch.GetTimestamp() > windowEnd || Interruption.Requested)
            {
                // Bounded in time: what could not even be sent by the end of the window is a miss, not a later send.
                result.Unsent = total - Math.Max(i, warmupRequests);
                result.UnsentWarmup = Math.Max(0, warmupRequests - i);
                break;
            }
            var now = Stopwatch.GetTimestamp();
            if (intended > now)
            {
                // No spinning: the cores are shared with the server under test. Lateness is charged to latency.
                var waitMs = (intended - now) * 1000.0 / frequency;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, waitMs)), cancellationToken);
            }
            var request = mix.Next();
            await gate.WaitAsync(cancellationToken);
            var lagMs = (Stopwatch.GetTimestamp() - intended) * 1000.0 / frequency;
            if (lagMs > result.SendLagMaxMs) result.SendLagMaxMs = lagMs;
            var current = Interlocked.Increment(ref pending) - 1;
            if (current > result.PeakInFlight) result.PeakInFlight = current;
            var measured = i >= warmupRequests;
            if (measured && jitAtWindowStart is null)
            {
                jitAtWindowStart = JitSample.Take();
                gcAtWindowStart = GcSample.Take();
                ledger = new LedgerWindow(settings.Duration);
                if (cpu is not null) cpuAtWindowStart = cpu();
            }
            if (measured) result.Intended++;
            _ = SendAsync(request, mix, intended, measured, windowStart, windowEnd, result, e =>
            {
                if (e is not null) Interlocked.CompareExchange(ref fault, ExceptionDispatchInfo.Capture(e), null);
                gate.Release();
                if (Interlocked.Decrement(ref pending) == 0) drained.TrySetResult();
            });
            if (progress is not null && Stopwatch.GetTimestamp() >= nextProgress)
            {
                nextProgress += (long)frequency * 5;
                var jit = JitSample.Take();
                var jitDelta = jit - jitAtProgress;
                jitAtProgress = jit;
                progress($"{label}: {(Stopwatch.GetTimestamp() - start) / frequency,5:F0} s, sent {i + 1:N0}/{total:N0}, in flight {Interlocked.Read(ref pending) - 1:N0}, answered {result.Accepted + result.Refused:N0}, errors {result.Errors:N0}; JIT {jitDelta.Methods:N0} methods, {jitDelta.Time.TotalMilliseconds:N0} ms");
            }
        }
        if (jitAtWindowStart is { } jitStart) result.WindowJit = JitSample.Take() - jitStart;
        if (gcAtWindowStart is { } gcStart) result.WindowGc = GcSample.Take() - gcStart;
        if (cpuAtWindowStart is { } cpuStart) result.WindowCpu = cpu!() - cpuStart;
        if (ledger is not null)
        {
            ledger.Dispose();
            result.WindowLedger = ledger.Describe();
        }
        if (Interlocked.Decrement(ref pending) > 0) await drained.Task;
        fault?.Throw();
        result.Elapsed = TimeSpan.FromSeconds((Stopwatch.GetTimestamp() - start) / frequency);
        return result;
    }

    /// <param name="done">Called once, last, with the exception the request failed with that is not the server's (a bench bug), or null.</param>
    private async Task SendAsync(SimulatedRequest request, TrafficMix mix, long intended, bool measured, long windowStart, long windowEnd,
        LoadResult result, Action<Exception?> done)
    {
        Exception? fault = null;
        try
        {
            using var message = Simulator.CreateMessage(request, _gateway, _sink);
            using var response = await _client.SendAsync(message, HttpCompletionOption.ResponseContentRead);
            var body = await response.Content.ReadAsByteArrayAsync();
            var end = Stopwatch.GetTimestamp();
            var status = (int)response.StatusCode;
            if (request.IsMalformed)
            {
                Malformed(request, status, body, measured, result);
                return;
            }
            string? code = null;
            Guid? eventId = null;
            if (status == 201)
            {
                eventId = EventIds.For(request.StoreId, request.TransactionId!.Value, LedgerKind(request.Kind), accepted: true);
            }
            else if (status is 404 or 409 or 422 && body.Length > 0)
            {
                (code, eventId) = ReadProblem(body);
            }
            var ledgerAnswer = status == 201 || code is not null;
            if (eventId is { } id) result.Events.Add(id, DateTime.UtcNow.Ticks);
            // A rental keyed in after a till outage opened in the past: the mix dates its return from the receipt; a return
            // that left a late fee owed has the mix send its payment later.
            mix.ReportAnswer(request, status, body);
            if (!measured) return;
            if (ledgerAnswer)
            {
                var micros = Math.Max(1, (long)((end - intended) * 1_000_000.0 / Stopwatch.Frequency));
                result.Latency.RecordValue(micros);
                result.BySecond.Record((int)((intended - windowStart) / Stopwatch.Frequency), micros);
                if (status == 201) Interlocked.Increment(ref result.Accepted);
                else
                {
                    Interlocked.Increment(ref result.Refused);
                    result.RefusalsByCode.AddOrUpdate(code!, 1, (_, n) => n + 1);
                }
                if (end <= windowEnd)
                {
                    Interlocked.Increment(ref result.AnsweredInWindow);
                    if (status == 201) Interlocked.Increment(ref result.AcceptedInWindow);
                }
            }
            else
            {
                Interlocked.Increment(ref result.Errors);
                result.ErrorsByKind.AddOrUpdate($"HTTP {status}", 1, (_, n) => n + 1);
            }
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            mix.Report(request, 0);
            if (measured)
            {
                Interlocked.Increment(ref result.Errors);
                result.ErrorsByKind.AddOrUpdate(e is TaskCanceledException ? "timeout" : e.GetType().Name, 1, (_, n) => n + 1);
            }
        }
        catch (Exception e)
        {
            fault = e;
        }
        finally
        {
            done(fault);
        }
    }

    /// <summary>
    /// Deliberately bad traffic is answered as such, not by the ledger: an API call with a 4xx, a CloudEvent by the
    /// sink taking it into the rejected set (200, not Dapr's RETRY). Anything else is an error of the run.
    /// </summary>
    private static void Malformed(SimulatedRequest request, int status, byte[] body, bool measured, LoadResult result)
    {
        if (!measured) return;
        if (request.Kind == TrafficKind.MalformedRequest && status is >= 400 and < 500)
        {
            Interlocked.Increment(ref result.MalformedRefused);
            return;
        }
        if (request.Kind == TrafficKind.MalformedEvent && status is 200 or 204 && body.AsSpan().IndexOf("\"RETRY\""u8) < 0)
        {
            Interlocked.Increment(ref result.MalformedDelivered);
            return;
        }
        Interlocked.Increment(ref result.Errors);
        var kind = request.Kind == TrafficKind.MalformedRequest ? $"malformed request answered {status}" : $"malformed event: sink answered {status}";
        result.ErrorsByKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
    }

    private static TransactionKind LedgerKind(TrafficKind kind) => kind switch
    {
        TrafficKind.Sale => TransactionKind.Sale,
        TrafficKind.Rental => TransactionKind.Rental,
        TrafficKind.Return => TransactionKind.Return,
        TrafficKind.LateFeePayment => TransactionKind.LateFeePayment,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a ledger transaction."),
    };

    private static (string? Code, Guid? EventId) ReadProblem(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var code = root.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            Guid? eventId = root.TryGetProperty("eventId", out var e) && e.TryGetGuid(out var g) ? g : null;
            return (code, eventId);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }
}

/// <summary>
/// Per second of the window (by due time): answers, answers slower than <see cref="SlowMicros"/>, the slowest. A p99
/// over target from a few stalled seconds reads differently from one spread over the whole run.
/// </summary>
public sealed class LatencyBySecond(int seconds)
{
    public const long SlowMicros = 50_000;

    private readonly long[] _count = new long[seconds];
    private readonly long[] _slow = new long[seconds];
    private readonly long[] _max = new long[seconds];

    public int Seconds => _count.Length;

    public void Record(int second, long micros)
    {
        if ((uint)second >= (uint)_count.Length) return;
        Interlocked.Increment(ref _count[second]);
        if (micros > SlowMicros) Interlocked.Increment(ref _slow[second]);
        var max = Volatile.Read(ref _max[second]);
        while (micros > max)
        {
            var seen = Interlocked.CompareExchange(ref _max[second], micros, max);
            if (seen == max) break;
            max = seen;
        }
    }

    public (int Second, long Count, long Slow, long MaxMicros) At(int second) => (second, _count[second], _slow[second], _max[second]);
}
