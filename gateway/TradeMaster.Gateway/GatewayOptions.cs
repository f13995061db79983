namespace TradeMaster.Gateway;

/// <summary>The gateway's own settings (section <c>Gateway</c>).</summary>
public sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>Reject plain HTTP on the API. Behind a TLS-terminating ingress keep it false.</summary>
    public bool RequireHttps { get; set; }

    /// <summary>Largest request body the transaction endpoints read; a larger one gets 413.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>How long a verified (or rejected) API key is remembered before PostgreSQL is asked again.</summary>
    public TimeSpan ApiKeyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>
/// The ledger's sanity caps (section <c>Ledger</c>, the same keys the silo reads), so the gateway rejects an
/// absurd request with a 400 naming the field before it reaches a grain. The grain still checks them itself.
/// </summary>
public sealed class TransactionLimits
{
    public const string SectionName = "Ledger";

    public int MaxQuantityPerLine { get; set; } = 100;

    public int MaxLinesPerTransaction { get; set; } = 50;

    public int MinRentalDays { get; set; } = 1;

    public int MaxRentalDays { get; set; } = 30;

    public const int MaxInstallments = 12;
}
