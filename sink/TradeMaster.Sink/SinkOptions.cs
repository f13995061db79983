namespace TradeMaster.Sink;

/// <summary>The sink's settings, bound from the <c>Sink</c> section (names in docs/configuration.md).</summary>
public sealed class SinkOptions
{
    public const string SectionName = "Sink";

    /// <summary><c>local</c> (default) or <c>gcs</c>.</summary>
    public string Writer { get; set; } = "local";

    /// <summary>Lake root of the local writer.</summary>
    public string LocalPath { get; set; } = "./data/lake";

    /// <summary>Token the Pub/Sub push endpoint requires as <c>?token=</c>; unset disables the endpoint.</summary>
    public string? PushToken { get; set; }

    /// <summary>
    /// Identifies this sink among the sinks sharing one database. A restarted sink with the same id may take over
    /// its own unfinished batches at once; another id waits for <see cref="PendingTimeout"/>.
    /// </summary>
    public string InstanceId { get; set; } = Environment.MachineName;

    /// <summary>How long an event claimed by another sink instance may stay pending before this one takes it over.</summary>
    public TimeSpan PendingTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public GcsOptions Gcs { get; set; } = new();

    public BatchOptions Batch { get; set; } = new();

    public ValidationOptions Validation { get; set; } = new();
}

public sealed class GcsOptions
{
    public string? Bucket { get; set; }

    public string Prefix { get; set; } = "lake";

    /// <summary>Attempts per upload (first try included) on 5xx, 429 and timeouts.</summary>
    public int MaxAttempts { get; set; } = 6;

    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromMilliseconds(200);

    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class BatchOptions
{
    /// <summary>A batch closes when it holds this many messages...</summary>
    public int MaxEvents { get; set; } = 5000;

    /// <summary>...or when its first message has waited this long...</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// ...or, once it holds <see cref="IdleMinEvents"/>, when no message arrived for this long. Every transport
    /// waits for its messages to be durable before it sends more (the relay's next batch, Dapr's and Pub/Sub's
    /// outstanding deliveries), so a batch that stopped growing is usually one everybody is waiting for: holding it
    /// until <see cref="MaxAge"/> capped each store's relay at one publish batch per MaxAge.
    /// </summary>
    public TimeSpan MaxIdle { get; set; } = TimeSpan.FromMilliseconds(20);

    /// <summary>The smallest batch that closes early for being idle, so a trickle of events still makes few, large objects.</summary>
    public int IdleMinEvents { get; set; } = 500;
}

public sealed class ValidationOptions
{
    /// <summary>How far in the future <c>occurred_at</c> may be (clock skew between a store's till and the sink).</summary>
    public TimeSpan MaxClockSkew { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Allowed rental period; defaults follow <c>Ledger:MinRentalDays</c> / <c>Ledger:MaxRentalDays</c>.</summary>
    public int MinRentalDays { get; set; } = 1;

    public int MaxRentalDays { get; set; } = 30;
}
