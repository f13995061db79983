using System.Globalization;
using Spectre.Console;

namespace TradeMaster.Simulation;

/// <summary>Live progress: a Spectre.Console bar on an interactive console, a plain line every few seconds otherwise.</summary>
internal static class ProgressDisplay
{
    private static readonly TimeSpan BarRefresh = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LineInterval = TimeSpan.FromSeconds(2);

    public static async Task TrackAsync(SimulatorOptions options, SimulationTally tally, Task work)
    {
        if (!options.ShowProgress || options.Transactions == 0) return;
        if (AnsiConsole.Profile.Capabilities.Interactive && !Console.IsOutputRedirected)
        {
            await AnsiConsole.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(),
                    new RemainingTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(Describe(tally), maxValue: options.Transactions);
                    while (!work.IsCompleted)
                    {
                        task.Value = tally.Completed;
                        task.Description = Describe(tally);
                        await Task.WhenAny(work, Task.Delay(BarRefresh, CancellationToken.None));
                    }
                    task.Value = tally.Completed;
                    task.Description = Describe(tally);
                    task.StopTask();
                });
            return;
        }

        var started = DateTime.UtcNow;
        while (!work.IsCompleted)
        {
            await Task.WhenAny(work, Task.Delay(LineInterval, CancellationToken.None));
            var elapsed = (DateTime.UtcNow - started).TotalSeconds;
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"[simulator] {tally.Completed}/{options.Transactions} transactions, accepted {tally.AcceptedTotal}, " +
                $"refused {tally.RefusedTotal}, errors {tally.ErrorTotal}, {(elapsed > 0 ? tally.Completed / elapsed : 0):0.0} tx/s"));
        }
    }

    private static string Describe(SimulationTally tally) => string.Create(CultureInfo.InvariantCulture,
        $"[green]{tally.AcceptedTotal} accepted[/] [yellow]{tally.RefusedTotal} refused[/] " +
        $"{(tally.ErrorTotal == 0 ? "[grey]0 errors[/]" : $"[red]{tally.ErrorTotal} errors[/]")}");
}
