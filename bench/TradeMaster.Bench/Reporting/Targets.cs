using Spectre.Console;

namespace TradeMaster.Bench.Reporting;

public enum Verdict
{
    Pass,
    Miss,
    NotRun,
}

/// <summary>The targets, printed next to the figures that decide them. Nothing is assumed: no figure, no verdict.</summary>
public sealed class Targets
{
    private readonly List<(string Target, string Figure, Verdict Verdict, string Note)> _rows = [];

    public void Add(string target, string figure, Verdict verdict, string note = "") => _rows.Add((target, figure, verdict, note));

    public void Add(string target, string figure, bool pass, string note = "") => Add(target, figure, pass ? Verdict.Pass : Verdict.Miss, note);

    public void Print()
    {
        var table = new Table().Title("[bold]Targets (issue 8)[/]").AddColumns("Target", "Figure (this run)", "Verdict", "Note");
        foreach (var (target, figure, verdict, note) in _rows)
        {
            var v = verdict switch { Verdict.Pass => "[green]PASS[/]", Verdict.Miss => "[red]MISS[/]", _ => "[grey]NOT RUN[/]" };
            table.AddRow(Markup.Escape(target), Markup.Escape(figure), v, Markup.Escape(note));
        }
        AnsiConsole.Write(table);
    }
}
