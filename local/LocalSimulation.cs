namespace TradeMaster.Local;

public static class LocalSimulation
{
    public static Task<int> RunAsync(LocalHost host, SimulationRequest request)
    {
        _ = host;
        _ = request;
        Console.Error.WriteLine("The simulator is not wired in yet.");
        return Task.FromResult(2);
    }
}
