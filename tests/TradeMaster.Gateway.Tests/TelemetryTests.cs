using System.Collections.Concurrent;
using System.Diagnostics;
using static TradeMaster.Gateway.Tests.Problems;

namespace TradeMaster.Gateway.Tests;

[Collection(GatewayCollection.Name)]
public sealed class TelemetryTests(GatewayFixture fixture)
{
    [Fact]
    public async Task CreateSale_Traced_RequestLedgerSpanAndGrainCallShareOneTrace()
    {
        var activities = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Microsoft.AspNetCore" or "TradeMaster.Gateway"
                || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activities.Add,
        };
        ActivitySource.AddActivityListener(listener);
        var itemId = fixture.FreshSellableItem();
        var employeeId = await fixture.ScalarAsync("select min(employee_id) from employees where store_id = 1 and active");
        var transactionId = Guid.NewGuid();
        using var client = fixture.Client();

        await JsonAsync(await client.PostAsync("/api/v1/stores/1/sales", Json(
            $$$"""{"transactionId":"{{{transactionId}}}","employeeId":{{{employeeId}}},"lines":[{"itemId":{{{itemId}}},"quantity":1}],"payment":{"method":"cash"}}""")),
            System.Net.HttpStatusCode.Created);

        Activity? ledger = null;
        await TradeMaster.Testing.Poll.UntilAsync(
            () => (ledger = activities.FirstOrDefault(a => a.Source.Name == "TradeMaster.Gateway"
                && Equals(a.GetTagItem("tm.transaction_id"), transactionId))) is not null,
            TimeSpan.FromSeconds(10), "the gateway's ledger span ended");
        var trace = ledger!.TraceId;
        Assert.Equal("accepted", ledger.GetTagItem("tm.outcome"));
        // The server's request span stops after the response has gone out, so the client can see the 201 first.
        var parent = ledger.ParentSpanId;
        await TradeMaster.Testing.Poll.UntilAsync(
            () => activities.Any(a => a.Source.Name == "Microsoft.AspNetCore" && a.TraceId == trace && a.SpanId == parent),
            TimeSpan.FromSeconds(10), "the request span that is the ledger span's parent ended");
        Assert.Contains(activities, a => a.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)
            && a.TraceId == trace && a.DisplayName.Contains("IStoreGrain", StringComparison.Ordinal));
    }
}
