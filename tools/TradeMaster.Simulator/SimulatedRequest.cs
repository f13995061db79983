using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Simulation;

/// <summary>What a generated request is meant to be.</summary>
public enum TrafficKind
{
    Sale = 0,
    Rental = 1,
    Return = 2,
    /// <summary>A deliberately bad API call (wrong types, negative quantity, invalid JSON…): the gateway must answer 4xx.</summary>
    MalformedRequest = 3,
    /// <summary>A deliberately bad CloudEvent delivered to the sink as Dapr would: it must land in the lake's rejected set.</summary>
    MalformedEvent = 4,
    /// <summary>A customer paying the late fee an earlier return of this run left owed, at the store that took the return.</summary>
    LateFeePayment = 5,
}

/// <summary>Which service a request is addressed to.</summary>
public enum TrafficTarget
{
    Gateway = 0,
    Sink = 1,
}

/// <summary>
/// One request of the mix, complete and ready to send: a retry sends exactly this again (same body, same transaction id).
/// </summary>
public sealed record SimulatedRequest
{
    public const string JsonContentType = "application/json";
    public const string CloudEventsContentType = "application/cloudevents+json";

    /// <summary>Position in the mix, from 0.</summary>
    public required long Sequence { get; init; }

    public required TrafficKind Kind { get; init; }

    public TrafficTarget Target { get; init; } = TrafficTarget.Gateway;

    public required HttpMethod Method { get; init; }

    /// <summary>Path and query relative to the target's base URL, e.g. <c>/api/v1/stores/2/sales</c>.</summary>
    public required string Path { get; init; }

    /// <summary>The store clerk's key for header <c>X-Api-Key</c>; null for the sink.</summary>
    public string? ApiKey { get; init; }

    public string? BodyJson { get; init; }

    public string ContentType { get; init; } = JsonContentType;

    public required int StoreId { get; init; }

    /// <summary>The id in the body (sales, rentals, returns, late fee payments and most malformed calls); a retry reuses it.</summary>
    public Guid? TransactionId { get; init; }

    public int? EmployeeId { get; init; }

    public int? CustomerId { get; init; }

    /// <summary>The customer's CPF as the clerk typed it (formatted or digits only); the till looks it up first.</summary>
    public string? CustomerCpf { get; init; }

    /// <summary>
    /// The rental a return closes, or whose return left the fee a late fee payment pays; for a rental, its own id (the
    /// ledger's rental id is the transaction id).
    /// </summary>
    public Guid? RentalId { get; init; }

    /// <summary>
    /// What the body asks the ledger for, as the gateway parses it: a <see cref="SaleCommand"/>,
    /// <see cref="RentalCommand"/>, <see cref="ReturnCommand"/> or <see cref="LateFeePaymentCommand"/>, for a caller that
    /// drives the store grains in-process with the same mix (the benchmark's baseline); null for malformed traffic.
    /// </summary>
    public object? Command { get; init; }

    /// <summary>For malformed traffic: which defect (e.g. <c>negative_quantity</c>, <c>total_mismatch</c>).</summary>
    public string? Defect { get; init; }

    /// <summary>Deliberately bad: a 4xx (request) or a rejection (event) is the expected answer.</summary>
    public bool IsMalformed => Kind is TrafficKind.MalformedRequest or TrafficKind.MalformedEvent;

    /// <summary>The look-up a till does before the transaction, when a customer is identified.</summary>
    public string? CustomerLookupPath => CustomerCpf is null ? null : "/api/v1/customers?cpf=" + Uri.EscapeDataString(CustomerCpf);
}
