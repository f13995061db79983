using System.Globalization;

namespace TradeMaster.Simulation;

/// <summary>The CLI's arguments: <c>--gateway URL --transactions N --rate R --concurrency C --seed S</c> and friends.</summary>
internal sealed record CommandLine(SimulatorOptions Options, bool Json, bool Help)
{
    public const string Usage = """
        TradeMaster traffic simulator: realistic sales, rentals, returns and late fee payments against a gateway.

          --gateway URL           gateway base URL (default http://127.0.0.1:5000)
          --sink URL              sink base URL for the malformed CloudEvents (default: the gateway URL)
          --sink-token TOKEN      Dapr app API token the sink requires, if any
          --transactions N        transactions to send (default 500)
          --rate R                transactions started per second (default: as fast as the concurrency allows)
          --concurrency C         transactions in flight at once (default 8)
          --seed S                seed number of the server's master data (default 20231125)
          --malformed-share F     share of deliberately malformed traffic, 0..1 (default 0.03)
          --no-progress           no progress bar or progress lines
          --json                  print the summary as JSON instead of a table

        Exit code 0 when no request failed for transport or server reasons (5xx, timeouts) after retries, 1 otherwise.
        """;

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        var options = new SimulatorOptions();
        var json = false;
        for (var i = 0; i < args.Count; i++)
        {
            var name = args[i];
            string Value() => i + 1 < args.Count ? args[++i] : throw new FormatException($"{name} needs a value.");
            switch (name)
            {
                case "--gateway": options.GatewayUrl = Url(name, Value()); break;
                case "--sink": options.SinkUrl = Url(name, Value()); break;
                case "--sink-token": options.SinkAppToken = Value(); break;
                case "--transactions" or "-n": options.Transactions = Int(name, Value()); break;
                case "--rate": options.Rate = Double(name, Value()); break;
                case "--concurrency" or "-c": options.Concurrency = Int(name, Value()); break;
                case "--seed": options.Seed = Int(name, Value()); break;
                case "--malformed-share": options.MalformedShare = Double(name, Value()); break;
                case "--no-progress": options.ShowProgress = false; break;
                case "--json": json = true; break;
                case "--help" or "-h" or "-?": return new CommandLine(options, json, Help: true);
                default: throw new FormatException($"Unknown argument '{name}'.");
            }
        }
        options.Validate();
        return new CommandLine(options, json, Help: false);
    }

    private static Uri Url(string name, string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"
            ? url
            : throw new FormatException($"{name} must be an http(s) URL, not '{value}'.");

    private static int Int(string name, string value) =>
        int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"{name} must be an integer, not '{value}'.");

    private static double Double(string name, string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new FormatException($"{name} must be a number, not '{value}'.");
}
