using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace TradeMaster.Simulation;

/// <summary>
/// How a simulation ended. Every transaction lands in exactly one bucket: accepted (per kind), refused by the ledger
/// (per refusal code), invalid (4xx per problem code), malformed event delivered to the sink, or error (5xx,
/// timeout, transport; after retries). So <see cref="Completed"/> is their sum.
/// </summary>
public sealed class SimulationSummary
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    /// <summary>Accepted transactions per kind: <c>sale</c>, <c>rental</c>, <c>return</c>, <c>late_fee_payment</c>.</summary>
    public required IReadOnlyDictionary<string, int> Accepted { get; init; }

    /// <summary>Business refusals (422/404/409) per the ProblemDetails <c>code</c>, e.g. <c>insufficient_stock</c>.</summary>
    public required IReadOnlyDictionary<string, int> Refused { get; init; }

    /// <summary>Requests the gateway refused as malformed (400/401/403/413/415) per problem <c>code</c>.</summary>
    public required IReadOnlyDictionary<string, int> Invalid { get; init; }

    /// <summary>Deliberately malformed API requests sent (each should be counted under <see cref="Invalid"/>).</summary>
    public required int MalformedRequests { get; init; }

    /// <summary>Deliberately malformed CloudEvents the sink took (they go to the lake's rejected set).</summary>
    public required int MalformedEvents { get; init; }

    /// <summary>Transactions that kept failing after the retries: <c>http_503</c>, <c>timeout</c>, <c>transport</c>…</summary>
    public required IReadOnlyDictionary<string, int> Errors { get; init; }

    /// <summary>
    /// Answers that contradict what was sent: a malformed request accepted, a well-formed one refused as invalid, a CPF
    /// look-up answering another customer (the server was seeded with another seed). Not in the bucket sum.
    /// </summary>
    public required IReadOnlyDictionary<string, int> Unexpected { get; init; }

    /// <summary>CPF look-ups done before sales and rentals.</summary>
    public required int Lookups { get; init; }

    /// <summary>Re-sends after a 5xx or a timeout, always with the same transaction id.</summary>
    public required int Retries { get; init; }

    public required TimeSpan Elapsed { get; init; }

    public int TotalAccepted => Accepted.Values.Sum();

    public int TotalRefused => Refused.Values.Sum();

    public int TotalInvalid => Invalid.Values.Sum();

    public int TotalErrors => Errors.Values.Sum();

    public int TotalUnexpected => Unexpected.Values.Sum();

    /// <summary>Transactions that got a final answer (or a final failure).</summary>
    public int Completed => TotalAccepted + TotalRefused + TotalInvalid + MalformedEvents + TotalErrors;

    public double ElapsedSeconds => Elapsed.TotalSeconds;

    /// <summary>Completed transactions per second over the whole run.</summary>
    public double AchievedRate => Elapsed > TimeSpan.Zero ? Completed / Elapsed.TotalSeconds : 0;

    /// <summary>The CLI's exit code: 0 when nothing failed for transport or server reasons, 1 otherwise.</summary>
    public int ExitCode => TotalErrors == 0 ? 0 : 1;

    public int AcceptedOf(string kind) => Accepted.GetValueOrDefault(kind);

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);

    /// <summary>The summary as a Spectre.Console table.</summary>
    public Table ToTable()
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]TradeMaster simulation[/]")
            .AddColumn("Outcome").AddColumn("Detail").AddColumn(new TableColumn("Count").RightAligned());
        AddGroup(table, "[green]Accepted[/]", Accepted, TotalAccepted);
        AddGroup(table, "[yellow]Refused[/] (business)", Refused, TotalRefused);
        AddGroup(table, "[blue]Invalid[/] (4xx)", Invalid, TotalInvalid);
        table.AddRow(new Markup("[blue]Malformed events[/]"), new Text("to the sink's rejected set"), Count(MalformedEvents));
        AddGroup(table, TotalErrors == 0 ? "[green]Errors[/]" : "[red]Errors[/]", Errors, TotalErrors);
        if (TotalUnexpected > 0) AddGroup(table, "[red]Unexpected answers[/]", Unexpected, TotalUnexpected);
        table.AddEmptyRow();
        table.AddRow(new Text("Completed"), new Text($"{MalformedRequests} malformed requests sent"), Count(Completed));
        table.AddRow(new Text("CPF look-ups / retries"), new Text(""), new Text($"{Lookups} / {Retries}"));
        table.AddRow(new Text("Elapsed"), new Text(""), new Text(Elapsed.TotalSeconds.ToString("0.0 s", CultureInfo.InvariantCulture)));
        table.AddRow(new Text("Rate"), new Text(""), new Text(AchievedRate.ToString("0.0 tx/s", CultureInfo.InvariantCulture)));
        return table;
    }

    public void Render(IAnsiConsole? console = null) => (console ?? AnsiConsole.Console).Write(ToTable());

    private static void AddGroup(Table table, string title, IReadOnlyDictionary<string, int> counts, int total)
    {
        table.AddRow(new Markup(title), new Text(counts.Count == 0 ? "" : "total"), Count(total));
        foreach (var (key, value) in counts.OrderByDescending(c => c.Value).ThenBy(c => c.Key, StringComparer.Ordinal))
        {
            table.AddRow(new Text(""), new Text(key), Count(value));
        }
    }

    private static IRenderable Count(int value) => new Text(value.ToString(CultureInfo.InvariantCulture));
}

/// <summary>Thread-safe counters of a running simulation; <see cref="Snapshot"/> freezes them into a summary.</summary>
internal sealed class SimulationTally
{
    private readonly ConcurrentDictionary<string, int> _accepted = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _refused = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _invalid = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _errors = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int> _unexpected = new(StringComparer.Ordinal);
    private int _malformedRequests;
    private int _malformedEvents;
    private int _lookups;
    private int _retries;
    private int _completed;

    public int Completed => Volatile.Read(ref _completed);

    public int AcceptedTotal => _accepted.Values.Sum();

    public int RefusedTotal => _refused.Values.Sum();

    public int ErrorTotal => _errors.Values.Sum();

    public void Accepted(string kind) => Final(_accepted, kind);

    public void Refused(string code) => Final(_refused, code);

    public void Invalid(string code) => Final(_invalid, code);

    public void Error(string reason) => Final(_errors, reason);

    public void MalformedEventDelivered()
    {
        Interlocked.Increment(ref _malformedEvents);
        Interlocked.Increment(ref _completed);
    }

    public void Unexpected(string reason) => _unexpected.AddOrUpdate(reason, 1, (_, n) => n + 1);

    public void MalformedRequestSent() => Interlocked.Increment(ref _malformedRequests);

    public void Lookup() => Interlocked.Increment(ref _lookups);

    public void Retry() => Interlocked.Increment(ref _retries);

    public SimulationSummary Snapshot(TimeSpan elapsed) => new()
    {
        Accepted = Freeze(_accepted),
        Refused = Freeze(_refused),
        Invalid = Freeze(_invalid),
        Errors = Freeze(_errors),
        Unexpected = Freeze(_unexpected),
        MalformedRequests = Volatile.Read(ref _malformedRequests),
        MalformedEvents = Volatile.Read(ref _malformedEvents),
        Lookups = Volatile.Read(ref _lookups),
        Retries = Volatile.Read(ref _retries),
        Elapsed = elapsed,
    };

    private void Final(ConcurrentDictionary<string, int> bucket, string key)
    {
        bucket.AddOrUpdate(key, 1, (_, n) => n + 1);
        Interlocked.Increment(ref _completed);
    }

    private static SortedDictionary<string, int> Freeze(ConcurrentDictionary<string, int> counts) =>
        new(counts.ToDictionary(c => c.Key, c => c.Value, StringComparer.Ordinal), StringComparer.Ordinal);
}
