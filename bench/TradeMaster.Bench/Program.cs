using Spectre.Console;
using TradeMaster.Bench;
using TradeMaster.Bench.Reporting;

// TradeMaster's figures against this machine's limits (docs/performance.md):
//   dotnet run -c Release --project bench/TradeMaster.Bench -- all
// Redirected output (CI, docs) gets wide tables instead of wrapped ones.
if (Console.IsOutputRedirected) AnsiConsole.Profile.Width = 200;
var command = args.Length > 0 ? args[0] : "help";
var rest = args.Skip(1).ToArray();
try
{
    if (command == "micro") return Commands.Micro(rest);
    Func<BenchOptions, Task<int>>? run = command switch
    {
        "load" => Commands.LoadAsync,
        "baselines" => o => Commands.AllAsync(o, load: false),
        "all" => o => Commands.AllAsync(o, load: true),
        "soak" => Commands.SoakAsync,
        "sink" => Commands.SinkAsync,
        "sink-core" => Commands.SinkCoreAsync,
        "sink-stages" => o => Task.FromResult(Commands.SinkStages(o)),
        _ => null,
    };
    if (run is null) return Commands.Help();
    var options = new BenchOptions(rest);
    Interruption.Install();
    // Diagnostics of the whole command, read like every other option.
    using var jitLog = options.Text("jit-log") is { } jitPath ? new JitLog(jitPath) : null;
    using var allocLog = options.Text("alloc-log") is { } allocPath ? new AllocationLog(allocPath) : null;
    using var gcLog = options.Text("gc-log") is { } gcPath ? new GcLog(gcPath) : null;
    int code;
    try
    {
        code = await run(options);
    }
    catch (Exception) when (Interruption.Requested)
    {
        // What the interruption's clean-up stopped under the run (its PostgreSQL, say) made it fail: not an error.
        code = 0;
    }
    // Interrupted: the signal's handler is stopping what the run started and ends the process with 128 + the signal.
    if (Interruption.Requested) await Interruption.UntilExitAsync();
    return code;
}
catch (ArgumentException e)
{
    AnsiConsole.MarkupLine($"[red]{Markup.Escape(e.Message)}[/]");
    return 2;
}
