using System.Collections.Concurrent;
using System.Net;
using System.Text.Json;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Testing;
using Xunit.Abstractions;

namespace TradeMaster.Simulation.Tests;

[CollectionDefinition(Name)]
public sealed class EmbeddedStackCollection : ICollectionFixture<EmbeddedStack>
{
    public const string Name = "embedded stack";
}

[Collection(EmbeddedStackCollection.Name)]
public sealed class SimulatorEndToEndTests(EmbeddedStack stack, ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task RunAsync_AgainstTheEmbeddedStack_RecordsEveryTransactionOnceDespiteLostAnswers()
    {
        // Some answers are lost on the way back (the server did the work) and some requests never arrive:
        // the simulator must retry with the same transaction id and count each transaction once.
        using var faults = new FaultInjector(new SocketsHttpHandler());
        using var http = new HttpClient(faults) { Timeout = Timeout.InfiniteTimeSpan };
        var options = new SimulatorOptions
        {
            GatewayUrl = stack.BaseAddress,
            Transactions = 400,
            Concurrency = 8,
            MalformedShare = 0.06,
            ShowProgress = false,
            RetryDelay = TimeSpan.FromMilliseconds(20),
        };
        var acceptedBefore = await stack.CountAsync("select count(*) from ledger_transactions where status = 'accepted'");
        var refusedBefore = await stack.CountAsync("select count(*) from ledger_transactions where status = 'refused'");
        var lakeAcceptedBefore = stack.LakeRows("transactions").Count(r => r.GetProperty("outcome").GetString() == "accepted");
        var rejectedBefore = stack.LakeRows("rejected").Count;

        var summary = await Simulator.RunAsync(options, http);
        output.WriteLine(summary.ToJson());

        Assert.True(summary.TotalErrors == 0 && summary.TotalUnexpected == 0, summary.ToJson());
        Assert.Equal(0, summary.ExitCode);
        Assert.Equal(400, summary.Completed);
        Assert.True(summary.AcceptedOf("sale") > 0 && summary.AcceptedOf("rental") > 0 && summary.AcceptedOf("return") > 0, summary.ToJson());
        Assert.True(summary.TotalRefused > 0, summary.ToJson());
        Assert.All(summary.Refused.Keys, code => Assert.Contains(code, RefusalCodes.All));
        Assert.True(summary.MalformedRequests > 0 && summary.MalformedEvents > 0, summary.ToJson());
        Assert.Equal(summary.MalformedRequests, summary.TotalInvalid);
        Assert.True(summary.Lookups > 0, summary.ToJson());
        Assert.True(faults.Lost > 0 && faults.Dropped > 0, $"{faults.Lost} lost, {faults.Dropped} dropped");
        Assert.True(summary.Retries >= faults.Lost + faults.Dropped, summary.ToJson());
        Assert.True(faults.RetriedWithTheSameBody, "a retry changed the body (and so the transaction id)");

        // The ledger recorded exactly what the simulator counted: no lost answer became a second transaction.
        var recorded = 0;
        try
        {
            await Poll.UntilAsync(async () =>
                    (recorded = await stack.CountAsync("select count(*) from ledger_transactions where status = 'accepted'") - acceptedBefore)
                    >= summary.TotalAccepted,
                Settle, "the history has every accepted transaction");
        }
        catch (TimeoutException e)
        {
            Assert.Fail($"{e.Message} It has {recorded}. {summary.ToJson()}");
        }
        Assert.Equal(summary.TotalAccepted, await stack.CountAsync("select count(*) from ledger_transactions where status = 'accepted'") - acceptedBefore);
        Assert.Equal(summary.TotalRefused, await stack.CountAsync("select count(*) from ledger_transactions where status = 'refused'") - refusedBefore);

        // And the lake: every accepted transaction once, every malformed event in the rejected set.
        await Poll.UntilAsync(() =>
                stack.LakeRows("transactions").Count(r => r.GetProperty("outcome").GetString() == "accepted") - lakeAcceptedBefore >= summary.TotalAccepted
                && stack.LakeRows("rejected").Count - rejectedBefore >= summary.MalformedEvents,
            Settle, "the lake has every accepted transaction and every malformed event");
        var lake = stack.LakeRows("transactions");
        Assert.Equal(summary.TotalAccepted, lake.Count(r => r.GetProperty("outcome").GetString() == "accepted") - lakeAcceptedBefore);
        Assert.Equal(lake.Count, lake.Select(r => r.GetProperty("event_id").GetString()).Distinct().Count());
        Assert.Equal(summary.MalformedEvents, stack.LakeRows("rejected").Count - rejectedBefore);
    }

    [Fact]
    public async Task RunAsync_GatewayKeepsFailing_CountsEachTransactionAsOneErrorAndExitsWithOne()
    {
        using var failing = new AlwaysFailing();
        using var http = new HttpClient(failing);
        var options = new SimulatorOptions
        {
            GatewayUrl = stack.BaseAddress,
            Transactions = 6,
            Concurrency = 3,
            MalformedShare = 0,
            ShowProgress = false,
            MaxAttempts = 3,
            RetryDelay = TimeSpan.FromMilliseconds(1),
        };

        var summary = await Simulator.RunAsync(options, http);

        Assert.Equal(new Dictionary<string, int> { ["http_503"] = 6 }, summary.Errors);
        Assert.Equal(6, summary.Completed);
        Assert.Equal(12, summary.Retries);
        Assert.Equal(18, failing.Calls);
        Assert.Equal(1, summary.ExitCode);
    }

    /// <summary>
    /// Between the simulator and the real server: loses the answer of every 7th transaction (after the server handled
    /// it) and drops every 11th before it arrives, each on its first attempt only.
    /// </summary>
    private sealed class FaultInjector(HttpMessageHandler inner) : DelegatingHandler(inner)
    {
        private readonly ConcurrentDictionary<string, string> _firstBodies = new();
        private int _transactions;
        private int _lost;
        private int _dropped;
        private volatile bool _changed;

        public int Lost => _lost;

        public int Dropped => _dropped;

        public bool RetriedWithTheSameBody => !_changed;

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var isTransaction = request.Method == HttpMethod.Post && request.RequestUri!.AbsolutePath.StartsWith("/api/v1/stores/", StringComparison.Ordinal);
            if (!isTransaction) return await base.SendAsync(request, cancellationToken);
            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            string? id = null;
            try
            {
                id = JsonDocument.Parse(body).RootElement.GetProperty("transactionId").GetString();
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
            {
                // Malformed on purpose: passes through untouched.
            }
            if (id is null) return await base.SendAsync(request, cancellationToken);

            var first = _firstBodies.TryAdd(id, body);
            if (!first)
            {
                if (_firstBodies[id] != body) _changed = true;
                return await base.SendAsync(request, cancellationToken);
            }
            var n = Interlocked.Increment(ref _transactions);
            if (n % 11 == 0)
            {
                Interlocked.Increment(ref _dropped);
                return new HttpResponseMessage(HttpStatusCode.BadGateway);
            }
            var response = await base.SendAsync(request, cancellationToken);
            if (n % 7 != 0) return response;
            response.Dispose();
            Interlocked.Increment(ref _lost);
            return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        }
    }

    /// <summary>A gateway that is down: every call answers 503.</summary>
    private sealed class AlwaysFailing : HttpMessageHandler
    {
        private int _calls;

        public int Calls => _calls;

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        }
    }
}
