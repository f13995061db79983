using System.Text.Json;
using Spectre.Console;

namespace TradeMaster.Simulation.Tests;

public sealed class SimulationSummaryTests
{
    [Fact]
    public void Snapshot_EveryOutcome_LandsInExactlyOneBucket()
    {
        var summary = SampleTally(withError: true).Snapshot(TimeSpan.FromSeconds(10));

        Assert.Equal(10, summary.TotalAccepted);
        Assert.Equal((5, 3, 2), (summary.AcceptedOf("sale"), summary.AcceptedOf("rental"), summary.AcceptedOf("return")));
        Assert.Equal(5, summary.TotalRefused);
        Assert.Equal(4, summary.Refused["insufficient_stock"]);
        Assert.Equal(2, summary.TotalInvalid);
        Assert.Equal(3, summary.MalformedEvents);
        Assert.Equal(1, summary.TotalErrors);
        Assert.Equal(21, summary.Completed);
        Assert.Equal(1, summary.TotalUnexpected);
        Assert.Equal(2.1, summary.AchievedRate, 6);
        Assert.Equal(1, summary.ExitCode);
    }

    [Fact]
    public void ExitCode_NoTransportOrServerErrors_IsZero()
    {
        var summary = SampleTally(withError: false).Snapshot(TimeSpan.FromSeconds(4));

        Assert.Equal(0, summary.ExitCode);
        Assert.Equal(20, summary.Completed);
        Assert.Equal(5.0, summary.AchievedRate, 6);
    }

    [Fact]
    public void AchievedRate_NoTimeElapsed_IsZero()
    {
        Assert.Equal(0, new SimulationTally().Snapshot(TimeSpan.Zero).AchievedRate);
    }

    [Fact]
    public void ToJson_Summary_CarriesEveryBucketAndTheTotals()
    {
        var json = JsonDocument.Parse(SampleTally(withError: true).Snapshot(TimeSpan.FromSeconds(10)).ToJson()).RootElement;

        Assert.Equal(5, json.GetProperty("accepted").GetProperty("sale").GetInt32());
        Assert.Equal(4, json.GetProperty("refused").GetProperty("insufficient_stock").GetInt32());
        Assert.Equal(2, json.GetProperty("invalid").GetProperty("validation_failed").GetInt32());
        Assert.Equal(1, json.GetProperty("errors").GetProperty("http_503").GetInt32());
        Assert.Equal(3, json.GetProperty("malformedEvents").GetInt32());
        Assert.Equal(2, json.GetProperty("malformedRequests").GetInt32());
        Assert.Equal(21, json.GetProperty("completed").GetInt32());
        Assert.Equal(2.1, json.GetProperty("achievedRate").GetDouble(), 6);
        Assert.Equal(10.0, json.GetProperty("elapsedSeconds").GetDouble(), 6);
        Assert.Equal(1, json.GetProperty("exitCode").GetInt32());
    }

    [Fact]
    public void ToTable_Summary_ShowsEveryCodeAndTheRate()
    {
        var summary = SampleTally(withError: true).Snapshot(TimeSpan.FromSeconds(10));
        using var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 160;

        summary.Render(console);

        var text = writer.ToString();
        foreach (var expected in new[] { "insufficient_stock", "item_inactive", "validation_failed", "http_503", "sale", "rental", "return", "2.1 tx/s", "21" })
        {
            Assert.Contains(expected, text, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Accepted_ManyThreads_CountsEveryOne()
    {
        var tally = new SimulationTally();

        Parallel.For(0, 10_000, i => tally.Accepted(i % 2 == 0 ? "sale" : "rental"));

        var summary = tally.Snapshot(TimeSpan.FromSeconds(1));
        Assert.Equal((5000, 5000, 10_000), (summary.AcceptedOf("sale"), summary.AcceptedOf("rental"), summary.Completed));
    }

    private static SimulationTally SampleTally(bool withError)
    {
        var tally = new SimulationTally();
        for (var i = 0; i < 5; i++) tally.Accepted("sale");
        for (var i = 0; i < 3; i++) tally.Accepted("rental");
        for (var i = 0; i < 2; i++) tally.Accepted("return");
        for (var i = 0; i < 4; i++) tally.Refused("insufficient_stock");
        tally.Refused("item_inactive");
        tally.MalformedRequestSent();
        tally.MalformedRequestSent();
        tally.Invalid("validation_failed");
        tally.Invalid("validation_failed");
        for (var i = 0; i < 3; i++) tally.MalformedEventDelivered();
        if (withError) tally.Error("http_503");
        tally.Unexpected("invalid_validation_failed");
        tally.Lookup();
        tally.Retry();
        return tally;
    }
}
