using System.Text.Json;
using TradeMaster.Testing;

namespace TradeMaster.Sink.Tests;

/// <summary>One running sink (own database and lake) with the Dapr app token and the push token configured.</summary>
public sealed class SinkFixture : IAsyncLifetime
{
    public const string AppToken = "dapr-app-secret";
    public const string PushToken = "push-secret";

    internal SinkHost Host { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var db = await SinkHost.CreateDatabaseAsync("sink_endpoints");
        Host = await SinkHost.StartAsync(db, LakeFiles.NewLake(), new Dictionary<string, string?>
        {
            ["APP_API_TOKEN"] = AppToken,
            ["Sink:PushToken"] = PushToken,
        });
    }

    public async Task DisposeAsync() => await Host.DisposeAsync();

    internal async Task<JsonElement> RejectionContainingAsync(string marker)
    {
        JsonElement? found = null;
        await Poll.UntilAsync(() =>
        {
            found = LakeFiles.Rejected(Host.Lake).Cast<JsonElement?>().FirstOrDefault(r => r!.Value.GetRawText().Contains(marker, StringComparison.Ordinal));
            return found is not null;
        }, TimeSpan.FromSeconds(20), $"a rejection containing {marker} is in the lake");
        return found!.Value;
    }

    internal async Task<JsonElement> TransactionAsync(string eventId)
    {
        JsonElement? found = null;
        await Poll.UntilAsync(() =>
        {
            found = LakeFiles.Transactions(Host.Lake).Cast<JsonElement?>().FirstOrDefault(r => r!.Value.GetProperty("event_id").GetString() == eventId);
            return found is not null;
        }, TimeSpan.FromSeconds(20), $"event {eventId} is in the lake");
        return found!.Value;
    }
}
