using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace TradeMaster.Gateway.Telemetry;

/// <summary>
/// The gateway's spans and counters. A transaction span sits between the ASP.NET Core request span and the Orleans
/// grain-call span, so request → grain call → publish read as one trace.
/// </summary>
public static class GatewayTelemetry
{
    public const string Name = "TradeMaster.Gateway";

    public static readonly ActivitySource Source = new(Name);

    private static readonly Meter Meter = new(Name);

    private static readonly Counter<long> Transactions = Meter.CreateCounter<long>(
        "trademaster.gateway.transactions", unit: "{transaction}", description: "Ledger answers by kind and outcome.");

    public static void Count(string kind, string outcome, string? code) =>
        Transactions.Add(1, new TagList { { "tm.kind", kind }, { "tm.outcome", outcome }, { "tm.code", code ?? "" } });
}
