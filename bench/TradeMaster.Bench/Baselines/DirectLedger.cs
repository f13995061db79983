using TradeMaster.Bench.Load;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Bench.Baselines;

/// <summary>
/// The TradeMaster store grains called in-process through IGrainFactory (no HTTP), closed loop: the ledger's own
/// rate at the same concurrency as the naive ledger, so the two compare like for like.
/// </summary>
public static class DirectLedger
{
    public static Task<ClosedLoopResult> RunAsync(IGrainFactory grains, BenchMix mix, int concurrency, TimeSpan warmup, TimeSpan duration,
        string label = "TradeMaster store grains (in-process calls)") =>
        ClosedLoop.RunAsync(label, concurrency, warmup, duration, async (_, _) =>
        {
            var request = mix.Next();
            var store = grains.GetGrain<IStoreGrain>(request.StoreId);
            var outcome = request.Kind switch
            {
                TransactionKind.Sale => await store.SellAsync(new SaleCommand(request.TransactionId, request.EmployeeId, request.CustomerId, request.Lines, request.Payment!)),
                TransactionKind.Rental => await store.RentAsync(new RentalCommand(request.TransactionId, request.EmployeeId, request.CustomerId!.Value, request.Lines, request.Days, request.Payment!)),
                _ => await store.ReturnAsync(new ReturnCommand(request.TransactionId, request.EmployeeId, request.RentalId!.Value, null, null)),
            };
            mix.Report(request, outcome.Accepted);
        });

    /// <summary>One naive grain per worker: the most parallel a one-write-per-transaction ledger can be.</summary>
    public static Task<ClosedLoopResult> RunNaiveAsync(IGrainFactory grains, int concurrency, int grainCount, TimeSpan warmup, TimeSpan duration) =>
        ClosedLoop.RunAsync($"Naive ledger, {grainCount} grains (1 write/tx)", concurrency, warmup, duration, async (worker, n) =>
        {
            var grain = grains.GetGrain<INaiveLedgerGrain>(1_000_000 + (worker % grainCount));
            await grain.SellAsync((int)(n % 50) + 1, 1);
        });
}
