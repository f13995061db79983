namespace TradeMaster.Silo;

/// <summary>The store's business policy. Bound from the <c>Ledger</c> configuration section.</summary>
public sealed class LedgerOptions
{
    public const string Section = "Ledger";

    /// <summary>Open rental copies a customer may hold across all stores.</summary>
    public int RentalLimit { get; set; } = 5;

    public int MinRentalDays { get; set; } = 1;

    public int MaxRentalDays { get; set; } = 30;

    public int MaxQuantityPerLine { get; set; } = 100;

    public int MaxLinesPerTransaction { get; set; } = 50;

    /// <summary>
    /// A rental reservation the store has not confirmed after this long is checked with the store and released if
    /// the store never recorded the rental (it crashed between the reservation and its state write).
    /// </summary>
    public TimeSpan ReservationTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How far back a rental taken while a till was offline may be keyed in.</summary>
    public TimeSpan MaxBackdate { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Unpaid late fees (BRL) above which a customer may not start new rentals.</summary>
    public decimal BlockRentalsAboveUnpaidFees { get; set; }

    public LateFeePolicy LateFee { get; set; } = new();

    public BulkDiscountPolicy BulkDiscount { get; set; } = new();

    /// <summary>Base64 secret of the keyed hash that turns a CPF into the customer key carried by events.</summary>
    public string? CustomerKeySecret { get; set; }

    /// <summary>
    /// Transaction ids (with a 128-bit request fingerprint) a store remembers: a reused id with another request is
    /// a conflict without asking PostgreSQL, and a duplicate of one still being written waits for it. Durable
    /// answers themselves are read back from the journal.
    /// </summary>
    public int RecentAnswersPerStore { get; set; } = 20_000;

    /// <summary>
    /// Transactions one journal commit may carry (group commit takes whatever was applied while the previous
    /// commit ran, up to this). 1 turns group commit off: one commit per transaction, the naive ledger the
    /// benchmark compares against.
    /// </summary>
    public int MaxCommitBatch { get; set; } = 1000;

    /// <summary>
    /// How often a store grain checkpoints its stock and open rentals (its Orleans state); an activation replays
    /// the journal written since. Never on the answer path.
    /// </summary>
    public TimeSpan CheckpointInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Events handed to the transport per publish call (also returns handed to customer accounts per round).</summary>
    public int PublishBatchSize { get; set; } = 1000;

    public TimeSpan OutboxMaxBackoff { get; set; } = TimeSpan.FromSeconds(30);

    public TimeSpan MasterDataRefresh { get; set; } = TimeSpan.FromMinutes(1);

    public byte[] CustomerKeySecretBytes()
    {
        if (string.IsNullOrWhiteSpace(CustomerKeySecret))
        {
            throw new InvalidOperationException(
                "Ledger:CustomerKeySecret is not set: events need it to pseudonymise customers (base64, at least 32 bytes).");
        }
        var bytes = Convert.FromBase64String(CustomerKeySecret);
        return bytes.Length >= 32
            ? bytes
            : throw new InvalidOperationException("Ledger:CustomerKeySecret must decode to at least 32 bytes.");
    }
}

/// <summary>Late fee = chargeable days late × Σ(copies × daily price) × multiplier, capped. Days are store-local dates.</summary>
public sealed class LateFeePolicy
{
    /// <summary>Days after the due date that are not charged.</summary>
    public int GraceDays { get; set; }

    public decimal DailyMultiplier { get; set; } = 1.0m;

    /// <summary>Upper bound of one return's fee; null for none.</summary>
    public decimal? Cap { get; set; }
}

/// <summary>A line of at least <see cref="MinQuantity"/> copies of one title gets <see cref="Percent"/>% off (sales only).</summary>
public sealed class BulkDiscountPolicy
{
    public int MinQuantity { get; set; } = 5;

    public decimal Percent { get; set; } = 10m;
}
