using System.Buffers;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Spectre.Console;
using TradeMaster.Bench.Reporting;
using TradeMaster.Sink;
using TradeMaster.Sink.Transform;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Bench.Micro;

/// <summary>One part of the sink's per-event work: the best round's time per event and what it allocated.</summary>
public sealed record SinkStage(string Name, string What, double MicrosecondsPerEvent, double BytesPerEvent);

/// <summary>
/// The sink's per-event CPU work taken apart (subcommand <c>sink-stages</c>): each part run alone over the same
/// events, then validate and validate + transform as the sink runs them. No files, no PostgreSQL. Run it under
/// <c>taskset -c N</c> to have one core, as <c>sink</c> does. The parts run on documents parsed beforehand, so
/// their sum is not the whole: parsing brings the message into the cache for the parts after it.
/// </summary>
public static class SinkStages
{
    /// <param name="only">Run only the stage of this name (for a profiler), or every stage when null.</param>
    public static IReadOnlyList<SinkStage> Run(int events, string? only = null)
    {
        var factory = new BenchEvents();
        var now = DateTimeOffset.UtcNow;
        var bodies = new byte[events][];
        for (var i = 0; i < events; i++) bodies[i] = factory.Mixed(i, now);

        var schemas = new ContractSchemas();
        var validator = new EventValidator(schemas, Options.Create(new SinkOptions()), TimeProvider.System);
        var rules = new TransactionRules(new SinkOptions().Validation);
        var source = new MessageSource("inprocess", "transactions", null);
        var row = new ArrayBufferWriter<byte>(1 << 20);
        var docs = bodies.Select(b => JsonDocument.Parse(b.AsMemory())).ToArray();
        try
        {
            var types = docs.Select(d => d.RootElement.GetProperty("type"u8).GetString()!).ToArray();
            var data = docs.Select(d => d.RootElement.GetProperty("data"u8)).ToArray();
            var errors = new List<ValidationError>();

            void Write(JsonElement envelope)
            {
                if (row.WrittenCount > (1 << 20) - 8192) row.ResetWrittenCount();
                AnalyticsRow.Write(row, envelope, source, now);
            }

            SinkStage? Time(string name, string what, int count, Action<int> stage) =>
                only is null || only == name ? SinkStages.Time(name, what, count, stage) : null;

            SinkStage?[] stages =
            [
                Time("parse", "JsonDocument.Parse", bodies.Length, i => JsonDocument.Parse(bodies[i].AsMemory()).Dispose()),
                Time("lone surrogates", "EventValidator.LoneSurrogateEscape", bodies.Length, i => EventValidator.LoneSurrogateEscape(bodies[i])),
                Time("schema walk", "fast path, with data's personal-data pre-check", bodies.Length, i => { schemas.Validate(types[i], data[i], errors, out _); errors.Clear(); }),
                Time("data rules", "TransactionRules.Check", bodies.Length, i => { rules.Check(types[i], data[i], now, errors); errors.Clear(); }),
                Time("envelope scan", "PersonalData.Scan with data already pre-checked: the bytes around data", bodies.Length, i =>
                {
                    PersonalData.Scan(bodies[i], docs[i].RootElement, (data[i], false), "$", errors);
                    errors.Clear();
                }),
                Time("whole-message scan", "personal-data pre-check of every byte (the path of a schema-invalid event)", bodies.Length, i => PersonalData.MayHoldAny(bodies[i])),
                Time("transform", "AnalyticsRow.Write", bodies.Length, i => Write(docs[i].RootElement)),
                Time("validate", "EventValidator.Validate: parse, envelope, schema, rules, scan", bodies.Length, i => validator.Validate(bodies[i], null).Dispose()),
                Time("validate + transform", "as SinkHandler does, without the batcher", bodies.Length, i =>
                {
                    using var validated = validator.Validate(bodies[i], null);
                    Write(validated.Document!.RootElement);
                }),
            ];
            return only is null || stages.Any(s => s is not null)
                ? [.. stages.OfType<SinkStage>()]
                : throw new ArgumentException($"--stage '{only}' is none of the stages (parse, schema walk, validate + transform…).");
        }
        finally
        {
            foreach (var d in docs) d.Dispose();
        }
    }

    /// <summary>
    /// About 800,000 unmeasured calls first (the runtime's tiered compilation needs them to reach its optimised
    /// code), then rounds over the events, at least three and about 140,000 calls in all; the best round counts.
    /// </summary>
    private static SinkStage Time(string name, string what, int events, Action<int> stage)
    {
        for (var r = Math.Max(1, 800_000 / events); r > 0; r--) for (var i = 0; i < events; i++) stage(i);
        var best = double.MaxValue;
        var allocated = 0L;
        var calls = 0L;
        for (var r = Math.Max(3, 140_000 / events); r > 0; r--)
        {
            var bytes = GC.GetAllocatedBytesForCurrentThread();
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < events; i++) stage(i);
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMicroseconds / events);
            allocated += GC.GetAllocatedBytesForCurrentThread() - bytes;
            calls += events;
        }
        return new SinkStage(name, what, best, (double)allocated / calls);
    }

    public static void Print(IReadOnlyList<SinkStage> stages, int events)
    {
        var table = new Table().Title($"[bold]Sink stages, one thread ({events:N0} distinct events; {Environment.ProcessorCount} CPU visible)[/]")
            .AddColumns("Stage", "What", "µs/event (best round)", "Bytes allocated/event");
        foreach (var s in stages) table.AddRow(Markup.Escape(s.Name), Markup.Escape(s.What), Tables.N(s.MicrosecondsPerEvent, "F2"), Tables.N(s.BytesPerEvent, "F0"));
        AnsiConsole.Write(table);
        if (stages.FirstOrDefault(s => s.Name == "validate + transform") is { } whole)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"validate + transform: {1e6 / whole.MicrosecondsPerEvent:N0} events/s on this thread before any file is written; the target ({Commands.SinkTargetPerSecond:N0}/s with the files) needs {1e6 / Commands.SinkTargetPerSecond:N0} µs an event in all."));
        }
    }
}
