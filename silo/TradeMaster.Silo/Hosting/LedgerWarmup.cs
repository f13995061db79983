using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using TradeMaster.Contracts.Grains;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Hosting;

/// <summary>
/// Activates every store's ledger when a silo starts. Events and returns a crash left unfinished are thereby
/// published and settled without waiting for that store's next sale — the reason no reminder table is needed —
/// and the first customer of the day does not pay for loading the catalog or replaying the journal.
/// </summary>
public sealed partial class LedgerWarmup(IGrainFactory grains, MasterDataCache masterData, ILogger<LedgerWarmup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        for (var attempt = 1; !stoppingToken.IsCancellationRequested; attempt++)
        {
            try
            {
                var snapshot = await masterData.GetAsync(stoppingToken);
                var pending = await Task.WhenAll(snapshot.Stores.Values.Where(s => s.Active)
                    .Select(s => grains.GetGrain<IStoreGrain>(s.StoreId).GetPendingEventCountAsync()));
                LogWarm(logger, pending.Length, pending.Sum());
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRetry(logger, e, attempt);
                await Task.Delay(TimeSpan.FromSeconds(Math.Min(30, attempt * 2)), stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Activated {Stores} store ledgers; {Pending} events were waiting for delivery")]
    private static partial void LogWarm(ILogger logger, int stores, int pending);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Warming up the store ledgers failed (attempt {Attempt}); retrying")]
    private static partial void LogRetry(ILogger logger, Exception error, int attempt);
}
