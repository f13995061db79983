using System.Globalization;

namespace TradeMaster.Local;

public sealed record SimulationRequest(int Transactions, double? Rate, int Concurrency);

public static class LocalCommandLine
{
    /// <summary>Takes out our own flags; everything else goes to ASP.NET Core configuration (e.g. --urls).</summary>
    public static (SimulationRequest? Simulation, string[] Remaining) Parse(string[] args)
    {
        int? transactions = null;
        double? rate = null;
        var concurrency = 8;
        var rest = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--simulate":
                    transactions = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                    break;
                case "--rate":
                    rate = double.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                    break;
                case "--concurrency":
                    concurrency = int.Parse(Value(args, ref i), CultureInfo.InvariantCulture);
                    break;
                default:
                    rest.Add(args[i]);
                    break;
            }
        }
        return (transactions is { } n ? new SimulationRequest(n, rate, concurrency) : null, [.. rest]);
    }

    private static string Value(string[] args, ref int i) =>
        i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value.");
}
