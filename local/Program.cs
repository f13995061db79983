using TradeMaster.Local;

// TradeMaster in one process: `dotnet run --project local` (add `-- --simulate 500` to drive traffic and exit).
var (simulate, remaining) = LocalCommandLine.Parse(args);
await using var host = await LocalHost.StartAsync(remaining);
Banner.Print(host);

if (simulate is { } simulation)
{
    var exitCode = await LocalSimulation.RunAsync(host, simulation);
    return exitCode;
}

await host.WaitForShutdownAsync();
return 0;
