using Spectre.Console;
using TradeMaster.Bench;

// TradeMaster's figures against this machine's limits (docs/performance.md):
//   dotnet run -c Release --project bench/TradeMaster.Bench -- all
// Redirected output (CI, docs) gets wide tables instead of wrapped ones.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
var command = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
var jitLogAt = Array.IndexOf(rest, "--jit-log");
using var jitLog = jitLogAt >= 0 && jitLogAt + 1 < rest.Length ? new TradeMaster.Bench.Reporting.JitLog(rest[jitLogAt + 1]) : null;
var allocLogAt = Array.IndexOf(rest, "--alloc-log");
using var allocLog = allocLogAt >= 0 && allocLogAt + 1 < rest.Length ? new TradeMaster.Bench.Reporting.AllocationLog(rest[allocLogAt + 1]) : null;
try
{
    return command switch
    {
        "load" => await Commands.LoadAsync(new BenchOptions(rest)),
        "baselines" => await Commands.AllAsync(new BenchOptions(rest), load: false),
        "all" => await Commands.AllAsync(new BenchOptions(rest), load: true),
        "soak" => await Commands.SoakAsync(new BenchOptions(rest)),
        "sink" => await Commands.SinkAsync(new BenchOptions(rest)),
        "sink-core" => await Commands.SinkCoreAsync(new BenchOptions(rest)),
        "sink-stages" => Commands.SinkStages(new BenchOptions(rest)),
        "micro" => Commands.Micro(rest),
        _ => Commands.Help(),
    };
}
catch (ArgumentException e)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
    return 2;
}
