using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Options;
using TradeMaster.Bench.Reporting;
using TradeMaster.Sink;
using TradeMaster.Sink.Batching;
using TradeMaster.Sink.Lake;
using TradeMaster.Sink.Transform;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Bench.Micro;

/// <param name="CpuWarmUp">How long the CPU-only measurement warmed up; <paramref name="CpuWarmUpSteady"/> false when it gave up at the cap.</param>
/// <param name="CpuJit">JIT time during the measured CPU-only run (all threads; on one core it is taken from the sink).</param>
/// <param name="CpuRoundRates">Events/s of each measured round over the events; <paramref name="CpuEventsPerSecond"/> is their median.</param>
/// <param name="CpuTimeEventsPerSecond">Events per second of the process's own CPU time (user + system, all threads), median round: the rate when the VM's core is really ours (steal time excluded).</param>
/// <param name="CpuWaitedForDisk">Wall time of the measured CPU-only run the thread spent waiting for a lake file's write and fsync.</param>
/// <param name="Pipeline">The full pipeline's warm-up and JIT, and what its measured part cost the GC: bytes allocated per
/// event (every thread of the process), collections by generation and pause time. Unlike the rate, the GC's figures
/// do not move with the VM's speed.</param>
public sealed record SinkThroughputResult(int ProcessorCount, long CpuEvents, double CpuEventsPerSecond, IReadOnlyList<double> CpuRoundRates, double CpuTimeEventsPerSecond, TimeSpan CpuWarmUp, bool CpuWarmUpSteady, TimeSpan CpuJit,
    TimeSpan CpuWaitedForDisk,
    long PipelineEvents, double PipelineEventsPerSecond, long PipelineAccepted, string? PipelineError, PipelineCosts Pipeline);

/// <summary>What the measured part of the full pipeline cost besides its time: see <see cref="SinkThroughputResult"/>.</summary>
/// <param name="WarmUp">How long the pipeline warmed up on fresh events; <paramref name="WarmUpSteady"/> false when it gave up at the cap.</param>
/// <param name="Jit">JIT time during the measured run.</param>
public sealed record PipelineCosts(TimeSpan WarmUp, bool WarmUpSteady, TimeSpan Jit, double BytesPerEvent, int Gen0, int Gen1, int Gen2, TimeSpan Paused)
{
    public static PipelineCosts None { get; } = new(TimeSpan.Zero, false, TimeSpan.Zero, 0, 0, 0, 0, TimeSpan.Zero);

    public static PipelineCosts Since(GcSample before, long events, TimeSpan warmUp, bool steady, TimeSpan jit)
    {
        var gc = GcSample.Take() - before;
        return new PipelineCosts(warmUp, steady, jit, (double)gc.Allocated / events, gc.Gen0, gc.Gen1, gc.Gen2, gc.Paused);
    }

    public string Format() => string.Create(CultureInfo.InvariantCulture,
        $"warm-up {WarmUp.TotalSeconds:F0} s{(WarmUpSteady ? " until the JIT was quiet" : ", JIT never quiet (cap)")}; JIT during run {Jit.TotalMilliseconds:F0} ms; {BytesPerEvent:N0} B allocated per event; GCs {Gen0}/{Gen1}/{Gen2} (gen 0/1/2), paused {Paused.TotalMilliseconds:N0} ms");
}

/// <summary>
/// Sink events/s on one core. Runs in a child process started under <c>taskset -c N</c>, so the runtime, the GC
/// and every thread of the sink share one core (Environment.ProcessorCount = 1); PostgreSQL, used for the
/// dedupe claims of the full pipeline, is a separate process and not pinned.
/// </summary>
public static class SinkThroughput
{
    private const string ResultPrefix = "SINK-RESULT ";

    /// <summary>Parent side: starts the pinned child and reads its one result line.</summary>
    public static async Task<SinkThroughputResult> RunPinnedAsync(string connectionString, string lakeDirectory, int events, int core)
    {
        var start = new ProcessStartInfo("taskset") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-c", core.ToString(CultureInfo.InvariantCulture), Environment.ProcessPath! }) start.ArgumentList.Add(a);
        if (Path.GetFileNameWithoutExtension(Environment.ProcessPath!) == "dotnet") start.ArgumentList.Add(typeof(SinkThroughput).Assembly.Location);
        foreach (var a in new[] { "sink-core", "--connection", connectionString, "--lake", lakeDirectory, "--events", events.ToString(CultureInfo.InvariantCulture) })
        {
            start.ArgumentList.Add(a);
        }
        using var child = Process.Start(start) ?? throw new InvalidOperationException("Could not start the pinned sink benchmark.");
        // Interrupted: the child goes first (newest first), before the PostgreSQL and lake it is writing to.
        using var onInterrupt = Interruption.OnInterrupt(() =>
        {
            try
            {
                child.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }
            return ValueTask.CompletedTask;
        });
        var stdout = child.StandardOutput.ReadToEndAsync();
        var stderr = child.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        await child.WaitForExitAsync(timeout.Token);
        var line = (await stdout).Split('\n').FirstOrDefault(l => l.StartsWith(ResultPrefix, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"The pinned sink benchmark printed no result (exit {child.ExitCode}): {await stderr}");
        var f = line[ResultPrefix.Length..].Split(' ').Select(p => p.Split('=', 2)).ToDictionary(p => p[0], p => p[1]);
        return new SinkThroughputResult(int.Parse(f["cpus"], CultureInfo.InvariantCulture),
            long.Parse(f["cpu_events"], CultureInfo.InvariantCulture), double.Parse(f["cpu_rate"], CultureInfo.InvariantCulture),
            [.. f["cpu_rounds"].Split('/').Select(r => double.Parse(r, CultureInfo.InvariantCulture))],
            double.Parse(f["cpu_time_rate"], CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(double.Parse(f["cpu_warmup_s"], CultureInfo.InvariantCulture)), f["cpu_steady"] == "1",
            TimeSpan.FromMilliseconds(double.Parse(f["cpu_jit_ms"], CultureInfo.InvariantCulture)),
            TimeSpan.FromMilliseconds(double.Parse(f["cpu_disk_wait_ms"], CultureInfo.InvariantCulture)),
            long.Parse(f["pipe_events"], CultureInfo.InvariantCulture), double.Parse(f["pipe_rate"], CultureInfo.InvariantCulture),
            long.Parse(f["pipe_accepted"], CultureInfo.InvariantCulture), f["pipe_error"] == "-" ? null : Uri.UnescapeDataString(f["pipe_error"]),
            ParseCosts(f));
    }

    private static PipelineCosts ParseCosts(Dictionary<string, string> f)
    {
        var gcs = f["pipe_gc"].Split('/').Select(g => int.Parse(g, CultureInfo.InvariantCulture)).ToArray();
        return new PipelineCosts(TimeSpan.FromSeconds(double.Parse(f["pipe_warmup_s"], CultureInfo.InvariantCulture)), f["pipe_steady"] == "1",
            TimeSpan.FromMilliseconds(double.Parse(f["pipe_jit_ms"], CultureInfo.InvariantCulture)),
            double.Parse(f["pipe_alloc"], CultureInfo.InvariantCulture), gcs[0], gcs[1], gcs[2],
            TimeSpan.FromMilliseconds(double.Parse(f["pipe_gc_pause_ms"], CultureInfo.InvariantCulture)));
    }

    /// <summary>Child side (subcommand sink-core): both measurements, one result line.</summary>
    public static async Task<int> RunChildAsync(string connectionString, string lakeDirectory, int events)
    {
        var factory = new BenchEvents();
        var now = DateTimeOffset.UtcNow;
        var bodies = new byte[events][];
        for (var i = 0; i < events; i++) bodies[i] = factory.Mixed(i, now);

        var cpu = CpuOnly(bodies, Path.Combine(lakeDirectory, "cpu-only"));
        double pipeRate = 0;
        long accepted = 0;
        var costs = PipelineCosts.None;
        string? error = null;
        try
        {
            (pipeRate, accepted, costs) = await PipelineAsync(bodies, factory, connectionString, Path.Combine(lakeDirectory, "pipeline"));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = $"{e.GetType().Name}: {e.Message}";
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{ResultPrefix}cpus={Environment.ProcessorCount} cpu_events={events * CpuRounds} cpu_rate={Median(cpu.RoundRates):F0} cpu_rounds={string.Join('/', cpu.RoundRates.Select(r => r.ToString("F0", CultureInfo.InvariantCulture)))} cpu_time_rate={Median(cpu.CpuTimeRates):F0} cpu_warmup_s={cpu.WarmUp.Time.TotalSeconds:F1} cpu_steady={(cpu.WarmUp.Steady ? 1 : 0)} cpu_jit_ms={cpu.Jit.TotalMilliseconds:F1} cpu_disk_wait_ms={cpu.WaitedForDisk.TotalMilliseconds:F1} pipe_events={events} pipe_rate={pipeRate:F0} pipe_accepted={accepted} pipe_warmup_s={costs.WarmUp.TotalSeconds:F1} pipe_steady={(costs.WarmUpSteady ? 1 : 0)} pipe_jit_ms={costs.Jit.TotalMilliseconds:F1} pipe_alloc={costs.BytesPerEvent:F0} pipe_gc={costs.Gen0}/{costs.Gen1}/{costs.Gen2} pipe_gc_pause_ms={costs.Paused.TotalMilliseconds:F1} pipe_error={(error is null ? "-" : Uri.EscapeDataString(error))}"));
        return 0;
    }

    /// <summary>
    /// The sink's per-event work on one thread, written as the sink writes: validate, transform into the batch
    /// buffer, and every 5,000 events the batch handed to the <see cref="LocalLakeWriter"/> (NDJSON file, fsync,
    /// rename) while the thread goes on with the next batch, at most <see cref="LakeBatcher.MaxConcurrentFlushes"/>
    /// in flight, as <see cref="LakeBatcher"/> does. No PostgreSQL dedupe. The time the thread waited for a
    /// flush to finish is reported with the rates.
    /// </summary>
    private static (double[] RoundRates, double[] CpuTimeRates, WarmUpResult WarmUp, TimeSpan Jit, TimeSpan WaitedForDisk) CpuOnly(byte[][] bodies, string directory)
    {
        var path = new CpuPath(directory);
        var warmUp = WarmUp(bodies, path);
        var jit = JitSample.Take();
        var waitedBefore = path.WaitedForDisk;
        var rates = new double[CpuRounds];
        var cpuRates = new double[CpuRounds];
        for (var round = 0; round < CpuRounds; round++)
        {
            var started = Stopwatch.GetTimestamp();
            var cpuStarted = Environment.CpuUsage.TotalTime;
            foreach (var body in bodies) path.Process(body);
            path.Drain();
            rates[round] = bodies.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
            cpuRates[round] = bodies.Length / (Environment.CpuUsage.TotalTime - cpuStarted).TotalSeconds;
        }
        return (rates, cpuRates, warmUp, (JitSample.Take() - jit).Time, path.WaitedForDisk - waitedBefore);
    }

    /// <summary>Rounds over the same events: this VM's speed moves by a tenth from one run to the next, so the figure is the median round.</summary>
    private const int CpuRounds = 3;

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }

    private sealed class CpuPath(string directory)
    {
        private const int EventsPerFile = 5_000;
        private readonly EventValidator _validator = new(new ContractSchemas(), Options.Create(new SinkOptions()), TimeProvider.System);
        private readonly MessageSource _source = new("inprocess", "transactions", null);
        private readonly LocalLakeWriter _writer = new(directory);
        private readonly Queue<ArrayBufferWriter<byte>> _free = new(Enumerable.Range(0, LakeBatcher.MaxConcurrentFlushes + 1).Select(_ => new ArrayBufferWriter<byte>(8 << 20)));
        private readonly Queue<(Task Write, ArrayBufferWriter<byte> Buffer)> _flushes = new();
        private ArrayBufferWriter<byte>? _batch;
        private int _inBatch, _files;
        private long _waiting;

        public TimeSpan WaitedForDisk => Stopwatch.GetElapsedTime(0, _waiting);

        public void Process(byte[] body)
        {
            _batch ??= _free.Dequeue();
            using (var v = _validator.Validate(body, null))
            {
                if (!v.IsValid) throw new InvalidOperationException("Generated event is invalid: " + string.Join(", ", v.Errors.Select(e => e.Code)));
                AnalyticsRow.Write(_batch, v.Document!.RootElement, _source, DateTimeOffset.UtcNow);
            }
            if (++_inBatch == EventsPerFile) Flush(maxInFlight: LakeBatcher.MaxConcurrentFlushes);
        }

        /// <summary>Writes the partial batch and waits for every write.</summary>
        public void Drain() => Flush(maxInFlight: 0);

        private void Flush(int maxInFlight)
        {
            if (_batch is { WrittenCount: > 0 } batch)
            {
                _flushes.Enqueue((_writer.WriteAsync($"{_files++:D5}.ndjson", [batch.WrittenMemory], CancellationToken.None), batch));
                _batch = null;
                _inBatch = 0;
            }
            var waitStarted = Stopwatch.GetTimestamp();
            while (_flushes.Count > maxInFlight || (_free.Count == 0 && _flushes.Count > 0))
            {
                var (write, buffer) = _flushes.Dequeue();
                write.GetAwaiter().GetResult();
                buffer.ResetWrittenCount();
                _free.Enqueue(buffer);
            }
            _waiting += Stopwatch.GetTimestamp() - waitStarted;
        }
    }

    /// <summary>
    /// Not measured: the runtime replaces the first code of the hot methods with optimised (profile-guided) code, and
    /// on one core it waits ten times longer for a quiet moment before each such step (DOTNET_TC_DelaySingleProcMultiplier),
    /// so ten seconds were not enough: the measured run still executed instrumented code while the JIT took 11% of the
    /// core. A sink runs for days, so the figure is the steady state: the warm-up (the same work, files included)
    /// lasts until the JIT spent less than <see cref="SteadyJitPerSecond"/> in each of <see cref="SteadyWindows"/>
    /// consecutive one-second windows.
    /// </summary>
    private static WarmUpResult WarmUp(byte[][] bodies, CpuPath path)
    {
        var clock = new WarmUpClock(MaxWarmUp);
        for (var i = 0; ; i++)
        {
            path.Process(bodies[i % bodies.Length]);
            if (clock.Tick() is { } done)
            {
                path.Drain();
                return done;
            }
        }
    }

    private readonly record struct WarmUpResult(TimeSpan Time, bool Steady);

    /// <summary>
    /// Both warm-ups' stopping rule, asked after each piece of work: once a second it closes a JIT window, and the
    /// warm-up is over after <see cref="SteadyWindows"/> quiet windows in a row and at least <see cref="MinWarmUp"/>,
    /// or at <paramref name="max"/>.
    /// </summary>
    private sealed class WarmUpClock(TimeSpan max)
    {
        private readonly long _started = Stopwatch.GetTimestamp();
        private readonly JitQuiet _quiet = new(SteadyJitPerSecond);
        private long _window = Stopwatch.GetTimestamp();

        /// <summary>Null while warming up; how long it took, and whether the JIT went quiet, once it is over.</summary>
        public WarmUpResult? Tick()
        {
            if (Stopwatch.GetElapsedTime(_window) < TimeSpan.FromSeconds(1)) return null;
            var steady = _quiet.Close() >= SteadyWindows;
            _window = Stopwatch.GetTimestamp();
            var elapsed = Stopwatch.GetElapsedTime(_started);
            return (steady && elapsed >= MinWarmUp) || elapsed >= max ? new WarmUpResult(elapsed, steady) : null;
        }
    }

    private static readonly TimeSpan SteadyJitPerSecond = TimeSpan.FromMilliseconds(2);
    private const int SteadyWindows = 3;
    private static readonly TimeSpan MinWarmUp = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan MaxWarmUp = TimeSpan.FromSeconds(120);

    /// <summary>
    /// The real sink as the embedded mode runs it: SinkHandler (validate, transform) → LakeBatcher (5,000 / 2 s
    /// batches, PostgreSQL claims, local lake writer with fsync + rename, commit), delivered as the in-process
    /// subscriber delivers (InProcessSinkService: three batches' worth in flight, each handled on the delivering
    /// thread until its first await). Warmed up unmeasured as the CPU-only part is, on fresh events: the batcher's,
    /// the claims' and Npgsql's code runs once per batch, not once per event, so it is the last to reach its
    /// optimised code (two batches of warm-up left the JIT at 7% of the core during the measured run).
    /// </summary>
    private static async Task<(double Rate, long Accepted, PipelineCosts Costs)> PipelineAsync(byte[][] bodies, BenchEvents factory, string connectionString, string lake)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:TradeMaster"] = connectionString,
            ["Sink:Writer"] = "local",
            ["Sink:LocalPath"] = lake,
            ["Sink:InstanceId"] = "bench-sink",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddTradeMasterSink(builder.Configuration);
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var handler = host.Services.GetRequiredService<SinkHandler>();
            var source = new MessageSource("inprocess", "transactions", null);
            var warmUp = await WarmUpPipelineAsync(handler, source, factory);
            var jit = JitSample.Take();
            var gc = GcSample.Take();
            var started = Stopwatch.GetTimestamp();
            var accepted = await DeliverAsync(handler, bodies, source);
            var rate = bodies.Length / Stopwatch.GetElapsedTime(started).TotalSeconds;
            return (rate, accepted, PipelineCosts.Since(gc, bodies.Length, warmUp.Time, warmUp.Steady, (JitSample.Take() - jit).Time));
        }
        finally
        {
            await host.StopAsync();
        }
    }

    /// <summary>Batches of fresh events through the pipeline until the JIT is quiet (the CPU-only part's rule).</summary>
    private static async Task<WarmUpResult> WarmUpPipelineAsync(SinkHandler handler, MessageSource source, BenchEvents factory)
    {
        var clock = new WarmUpClock(MaxPipelineWarmUp);
        var chunk = new byte[new SinkOptions().Batch.MaxEvents][];
        for (long n = 0; ; )
        {
            var now = DateTimeOffset.UtcNow;
            for (var i = 0; i < chunk.Length; i++) chunk[i] = factory.Mixed(n++, now);
            await DeliverAsync(handler, chunk, source);
            if (clock.Tick() is { } done) return done;
        }
    }

    private static readonly TimeSpan MaxPipelineWarmUp = TimeSpan.FromSeconds(90);

    private static async Task<long> DeliverAsync(SinkHandler handler, byte[][] bodies, MessageSource source)
    {
        using var inFlight = new SemaphoreSlim(new SinkOptions().Batch.MaxEvents * (Sink.Batching.LakeBatcher.MaxConcurrentFlushes + 1));
        var accepted = new StrongBox<long>();
        var tasks = new Task[bodies.Length];
        for (var i = 0; i < bodies.Length; i++)
        {
            await inFlight.WaitAsync();
            tasks[i] = HandleAsync(handler, bodies[i], source, inFlight, accepted);
        }
        await Task.WhenAll(tasks);
        return accepted.Value;
    }

    private static async Task HandleAsync(SinkHandler handler, byte[] body, MessageSource source, SemaphoreSlim inFlight, StrongBox<long> accepted)
    {
        try
        {
            if (await handler.HandleAsync(body, null, source, CancellationToken.None) == Sink.Batching.SinkOutcome.Accepted) Interlocked.Increment(ref accepted.Value);
        }
        finally
        {
            inFlight.Release();
        }
    }
}
