using Spectre.Console;
using TradeMaster.Simulation;

CommandLine command;
try
{
    command = CommandLine.Parse(args);
}
catch (Exception e) when (e is FormatException or ArgumentException)
{
    await Console.Error.WriteLineAsync(e.Message + Environment.NewLine + Environment.NewLine + CommandLine.Usage);
    return 2;
}
if (command.Help)
{
    Console.WriteLine(CommandLine.Usage);
    return 0;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};

var summary = await Simulator.RunAsync(command.Options, http: null, stop.Token);
if (command.Json) Console.WriteLine(summary.ToJson());
else summary.Render(AnsiConsole.Console);
return summary.ExitCode;
