using TradeMaster.Db.Seed;

namespace TradeMaster.Simulation;

/// <summary>What to simulate, against which gateway. Defaults match the embedded mode's seed data.</summary>
public sealed class SimulatorOptions
{
    public Uri GatewayUrl { get; set; } = new("http://127.0.0.1:5000");

    /// <summary>Where the sink's Dapr topic route listens; defaults to <see cref="GatewayUrl"/> (the embedded mode hosts both).</summary>
    public Uri? SinkUrl { get; set; }

    /// <summary>Sales, rentals, returns, late fee payments and malformed requests to send in all.</summary>
    public int Transactions { get; set; } = 500;

    /// <summary>Transactions started per second; null = as fast as <see cref="Concurrency"/> allows.</summary>
    public double? Rate { get; set; }

    /// <summary>Transactions in flight at once (tills working at the same time).</summary>
    public int Concurrency { get; set; } = 8;

    /// <summary>
    /// Seed number of the master data the server seeded (stores, clerks, customers and their CPFs, items, stock):
    /// regenerated here with <see cref="SeedDataGenerator"/>. It also seeds the mix, so a run is reproducible.
    /// </summary>
    public int Seed { get; set; } = new SeedOptions().Seed;

    /// <summary>Share of deliberately malformed traffic, half bad API requests, half bad CloudEvents for the sink.</summary>
    public double MalformedShare { get; set; } = 0.03;

    /// <summary>Live progress (a bar on an interactive console, periodic lines otherwise); false = silent.</summary>
    public bool ShowProgress { get; set; } = true;

    /// <summary>Dapr's app API token the sink requires when its APP_API_TOKEN is set (header dapr-api-token).</summary>
    public string? SinkAppToken { get; set; }

    /// <summary>Attempts per request; after a 5xx or a timeout the same request (same transaction id) is sent again.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Delay before the first retry; doubled at each further one, with jitter.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Time one attempt may take before it counts as a timeout.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Mixed into the transaction ids; null = a fresh one, so two runs never collide on ids.</summary>
    public Guid? RunId { get; set; }

    internal void Validate()
    {
        if (!GatewayUrl.IsAbsoluteUri) throw new ArgumentException("GatewayUrl must be an absolute URL.", nameof(GatewayUrl));
        if (SinkUrl is { IsAbsoluteUri: false }) throw new ArgumentException("SinkUrl must be an absolute URL.", nameof(SinkUrl));
        if (Transactions < 0) throw new ArgumentOutOfRangeException(nameof(Transactions), "Must not be negative.");
        if (Rate is <= 0) throw new ArgumentOutOfRangeException(nameof(Rate), "Must be positive (or null for as fast as possible).");
        if (Concurrency < 1) throw new ArgumentOutOfRangeException(nameof(Concurrency), "At least 1.");
        if (MalformedShare is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(MalformedShare), "A share from 0 to 1.");
        if (MaxAttempts < 1) throw new ArgumentOutOfRangeException(nameof(MaxAttempts), "At least 1.");
    }
}
