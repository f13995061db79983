using HdrHistogram;
using System.Globalization;
using Spectre.Console;
using TradeMaster.Bench.Baselines;
using TradeMaster.Bench.Load;
using TradeMaster.Bench.Micro;

namespace TradeMaster.Bench.Reporting;

public static class Tables
{
    public static string N(double value, string format = "N0") => double.IsNaN(value) ? "—" : value.ToString(format, CultureInfo.InvariantCulture);

    public static void Memory(IEnumerable<MemorySample> samples)
    {
        var table = new Table().Title("[bold]Memory (whole process: host + load generator; MiB; the live heap after a full GC)[/]")
            .AddColumns("t (s) from the run's start", "Working set", "Anonymous", "File-backed", "Shared (JIT code)", "Live heap",
                "GC committed after the full GC", "Anonymous − GC committed", "GC committed at the last young GC", "Gen 0 at the last young GC");
        foreach (var m in samples)
        {
            table.AddRow($"{m.Seconds:F0}", Mib(m.WorkingSet), Mib(m.Anonymous), Mib(m.FileBacked), Mib(m.Shared), Mib(m.Heap), Mib(m.CommittedAfterFull),
                Mib(m.Anonymous - m.CommittedAfterFull), Mib(m.CommittedAtYoung), Mib(m.Gen0AtYoung));
        }
        AnsiConsole.Write(table);

        static string Mib(long bytes) => N(bytes / 1048576.0, "F0");
    }

    public static void Load(IEnumerable<(LoadResult Result, LakeReport? Lake)> runs)
    {
        var table = new Table().Title("[bold]Open-loop load (latency from intended send time; HdrHistogram)[/]")
            .AddColumns("Run", "Target rate", "Window", "Answered/s", "201/s", "Refused", "Errors", "p50 ms", "p90 ms", "p99 ms", "max ms",
                "Peak in flight", "Lake", "Lake lag p50/p99/max ms", "CPU µs/answer");
        foreach (var (r, lake) in runs)
        {
            table.AddRow(
                Markup.Escape(r.Label), N(r.Settings.Rate), $"{r.Settings.Duration.TotalSeconds:F0} s",
                N(r.AnsweredPerSecond), N(r.AcceptedPerSecond), N(r.Refused), N(r.Errors),
                N(r.Ms(50), "F1"), N(r.Ms(90), "F1"), N(r.Ms(99), "F1"), N(r.MaxMs, "F1"), N(r.PeakInFlight),
                lake is null ? "—" : $"{lake.Found:N0}/{lake.Expected:N0}{(lake.Complete ? "" : " [red]incomplete[/]")}",
                lake is null ? "—" : $"{N(lake.Ms(50))}/{N(lake.Ms(99))}/{N(lake.LagMs.TotalCount == 0 ? double.NaN : lake.LagMs.GetMaxValue())}",
                N(r.CpuMicrosecondsPerAnswer));
        }
        AnsiConsole.Write(table);
        foreach (var (r, _) in runs)
        {
            var refusals = string.Join(", ", r.RefusalsByCode.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N0}"));
            var errors = string.Join(", ", r.ErrorsByKind.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value:N0}"));
            AnsiConsole.MarkupLine(Markup.Escape(
                $"  {r.Label}: intended {r.Intended + r.Unsent:N0} in window, unsent at window end {r.Unsent:N0} (+ {r.UnsentWarmup:N0} warm-up), answered {r.Accepted + r.Refused:N0} (201: {r.Accepted:N0}); refusals by code: {(refusals.Length == 0 ? "none" : refusals)}; errors: {(errors.Length == 0 ? "none" : errors)}; worst send lag {r.SendLagMaxMs:F0} ms; run took {r.Elapsed.TotalSeconds:F0} s{Malformed(r)}{Cpu(r)}{Jit(r)}{Gc(r)}"));
            AnsiConsole.MarkupLine(Markup.Escape($"  {r.Label}: {SlowSeconds(r.BySecond)}"));
            if (r.WindowLedger is { } ledger) AnsiConsole.MarkupLine(Markup.Escape($"  {r.Label}: {ledger}"));
        }
    }

    /// <summary>How the answers slower than 50 ms spread over the window's seconds, and the five worst seconds.</summary>
    private static string SlowSeconds(LatencyBySecond bySecond)
    {
        var seconds = Enumerable.Range(0, bySecond.Seconds).Select(bySecond.At).ToList();
        var slow = seconds.Sum(s => s.Slow);
        var total = seconds.Sum(s => s.Count);
        if (total == 0) return "no answers in the window";
        var worst = seconds.Where(s => s.Slow > 0).OrderByDescending(s => s.Slow).Take(5)
            .Select(s => $"{s.Second} s: {s.Slow:N0} of {s.Count:N0}, max {s.MaxMicros / 1000.0:F0} ms");
        var withSlow = seconds.Count(s => s.Slow > 0);
        return $"answers over {LatencyBySecond.SlowMicros / 1000} ms: {slow:N0} of {total:N0} ({slow * 100.0 / total:F1}%), due in {withSlow} of {bySecond.Seconds} seconds" +
            (withSlow == 0 ? "" : $"; worst seconds (from the window's start): {string.Join("; ", worst)}");
    }

    private static string Malformed(LoadResult r) => r.MalformedRefused + r.MalformedDelivered == 0 ? "" :
        $"; malformed (not ledger answers): {r.MalformedRefused:N0} API calls answered 4xx, {r.MalformedDelivered:N0} events taken by the sink";

    private static string Jit(LoadResult r) => r.WindowJit is not { } jit ? "" :
        $"; JIT in the window: {jit.Time.TotalSeconds:F2} s, {jit.Methods:N0} methods";

    private static string Gc(LoadResult r) => r.WindowGc is not { } gc ? "" :
        $"; GC in the window (this process): {gc.Gen0:N0}/{gc.Gen1:N0}/{gc.Gen2:N0} collections (gen 0/1/2), paused {gc.Paused.TotalMilliseconds:N0} ms, " +
        $"{N(r.AllocatedBytesPerAnswer / 1024, "N1")} KB allocated per answer";

    private static string Cpu(LoadResult r)
    {
        if (r.WindowCpu is not { } cpu) return "";
        // CPU seconds as a share of what the machine's cores had in the window.
        string OfCores(double seconds) => N(seconds / r.Settings.Duration.TotalSeconds / Environment.ProcessorCount * 100, "F0");
        return $"; CPU in the window: host and generator {cpu.ProcessSeconds:F1} s, PostgreSQL {N(cpu.PostgresSeconds, "F1")} s" +
            $" ({OfCores(cpu.TotalSeconds)}% of {Environment.ProcessorCount} cores)" +
            $", stolen by the hypervisor {N(cpu.StolenSeconds, "F1")} s ({OfCores(cpu.StolenSeconds)}%)";
    }

    public static void ClosedLoop(IEnumerable<ClosedLoopResult> results)
    {
        var table = new Table().Title("[bold]Baselines (closed loop, same concurrency)[/]")
            .AddColumns("Baseline", "Concurrency", "Warm-up", "Window", "Ops/s", "p50 ms", "p99 ms", "max ms", "Errors", "JIT s in window");
        foreach (var r in results)
        {
            table.AddRow(Markup.Escape(r.Label), N(r.Concurrency), r.Warmup is { } w ? $"{w.TotalSeconds:F0} s" : "—", $"{r.Duration.TotalSeconds:F0} s", N(r.PerSecond), N(r.Ms(50), "F1"), N(r.Ms(99), "F1"),
                N(r.LatencyMicros.TotalCount == 0 ? double.NaN : r.LatencyMicros.GetMaxValue() / 1000.0, "F1"),
                r.Errors == 0 ? "0" : Markup.Escape($"{r.Errors:N0} ({r.FirstError})"),
                r.WindowJit is { } jit ? jit.Time.TotalSeconds.ToString("F2", CultureInfo.InvariantCulture) : "—");
        }
        AnsiConsole.Write(table);
    }

    public static void Ratios(IEnumerable<(string Name, double Numerator, double Denominator)> ratios)
    {
        var table = new Table().Title("[bold]Ratios[/]").AddColumns("Comparison", "TradeMaster", "Baseline", "Ratio");
        foreach (var (name, numerator, denominator) in ratios)
        {
            table.AddRow(Markup.Escape(name), N(numerator), N(denominator), denominator > 0 ? $"{numerator / denominator:F2}×" : "—");
        }
        AnsiConsole.Write(table);
    }

    public static void Sink(SinkThroughputResult r)
    {
        var table = new Table().Title($"[bold]Sink throughput, one core (taskset; child sees {r.ProcessorCount} CPU)[/]")
            .AddColumns("Measurement", "Events", "Events/s", "Note");
        table.AddRow("validate + transform + lake file (LocalLakeWriter: fsync + rename per 5,000)", N(r.CpuEvents), N(r.CpuEventsPerSecond),
            $"one thread, no dedupe; warm-up {r.CpuWarmUp.TotalSeconds:F0} s{(r.CpuWarmUpSteady ? " until the JIT was quiet" : ", JIT never quiet (cap)")}, median of {r.CpuRoundRates.Count} rounds ({string.Join(" / ", r.CpuRoundRates.Select(x => N(x)))}), {N(r.CpuTimeEventsPerSecond)} per second of the process's CPU time; JIT during run {r.CpuJit.TotalMilliseconds:F0} ms; waited for the disk {r.CpuWaitedForDisk.TotalSeconds:F2} s");
        table.AddRow("full sink pipeline (SinkHandler → LakeBatcher → PostgreSQL claims → local lake)", N(r.PipelineEvents), N(r.PipelineEventsPerSecond),
            Markup.Escape(r.PipelineError ?? $"accepted {r.PipelineAccepted:N0}; PostgreSQL not pinned; {r.Pipeline.Format()}"));
        AnsiConsole.Write(table);
    }
}
