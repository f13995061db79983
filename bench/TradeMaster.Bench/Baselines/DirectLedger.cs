using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Simulation;

namespace TradeMaster.Bench.Baselines;

/// <summary>
/// The TradeMaster store grains called in-process through IGrainFactory (no HTTP), closed loop: the ledger's own
/// rate at the same concurrency as the naive ledger, so the two compare like for like. The requests are the HTTP
/// load's, the simulator's <see cref="TrafficMix"/>, each as the ledger command its body encodes.
/// </summary>
public static class DirectLedger
{
    public static Task<ClosedLoopResult> RunAsync(IGrainFactory grains, TrafficMix mix, int concurrency, TimeSpan warmup, TimeSpan duration,
        string label = "TradeMaster store grains (in-process calls)") =>
        ClosedLoop.RunAsync(label, concurrency, warmup, duration, async (_, _) =>
        {
            var request = mix.Next();
            // Malformed traffic (--malformed) is the gateway's and the sink's to refuse; there is no command to call with.
            while (request.Command is null) request = mix.Next();
            var store = grains.Reference<IStoreGrain>(request.StoreId);
            TransactionOutcome outcome;
            try
            {
                outcome = request.Command switch
                {
                    SaleCommand sale => await store.SellAsync(sale),
                    RentalCommand rental => await store.RentAsync(rental),
                    ReturnCommand @return => await store.ReturnAsync(@return),
                    LateFeePaymentCommand payment => await store.PayLateFeeAsync(payment),
                    var other => throw new InvalidOperationException($"Not a ledger command: {other.GetType().Name}"),
                };
            }
            catch
            {
                mix.Report(request, 0);
                throw;
            }
            mix.Report(request, StatusOf(outcome), outcome.Receipt?.OccurredAt,
                lateFeeOwed: outcome.Receipt?.Return is { LateFee: > 0, FeePaid: false });
        });

    /// <summary>One naive grain per worker: the most parallel a one-write-per-transaction ledger can be.</summary>
    public static Task<ClosedLoopResult> RunNaiveAsync(IGrainFactory grains, int concurrency, int grainCount, TimeSpan warmup, TimeSpan duration) =>
        ClosedLoop.RunAsync($"Naive ledger, {grainCount} grains (1 write/tx)", concurrency, warmup, duration, async (worker, n) =>
        {
            var grain = grains.Reference<INaiveLedgerGrain>(1_000_000 + (worker % grainCount));
            await grain.SellAsync((int)(n % 50) + 1, 1);
        });

    /// <summary>
    /// The HTTP status the gateway would answer (201, or <see cref="RefusalCodes.HttpStatus"/>): the mix does not try
    /// again a return the store does not know (404), and does a refused one.
    /// </summary>
    private static int StatusOf(TransactionOutcome outcome) =>
        outcome.Accepted ? 201 : RefusalCodes.HttpStatus(outcome.Refusal?.Code ?? "");
}
