namespace TradeMaster.Simulation.Tests;

public sealed class CommandLineTests
{
    [Fact]
    public void Parse_TheDocumentedExample_SetsEveryOption()
    {
        var command = CommandLine.Parse(
            ["--gateway", "http://127.0.0.1:5000", "--transactions", "500", "--rate", "50", "--concurrency", "8", "--seed", "20231125",
             "--sink", "http://127.0.0.1:5001", "--malformed-share", "0.1", "--no-progress", "--json"]);

        var o = command.Options;
        Assert.Equal((new Uri("http://127.0.0.1:5000"), new Uri("http://127.0.0.1:5001")), (o.GatewayUrl, o.SinkUrl));
        Assert.Equal((500, 50.0, 8, 20231125, 0.1), (o.Transactions, o.Rate!.Value, o.Concurrency, o.Seed, o.MalformedShare));
        Assert.False(o.ShowProgress);
        Assert.True(command.Json);
    }

    [Fact]
    public void Parse_NoArguments_UsesTheEmbeddedModeDefaults()
    {
        var o = CommandLine.Parse([]).Options;

        Assert.Equal((new Uri("http://127.0.0.1:5000"), (Uri?)null, (double?)null, 8, 20231125, 0.03, true),
            (o.GatewayUrl, o.SinkUrl, o.Rate, o.Concurrency, o.Seed, o.MalformedShare, o.ShowProgress));
    }

    [Theory]
    [InlineData("--transactions", "many")]
    [InlineData("--gateway", "not a url")]
    [InlineData("--concurrency", "0")]
    [InlineData("--malformed-share", "2")]
    [InlineData("--frobnicate", "1")]
    public void Parse_BadArgument_IsRefused(string name, string value)
    {
        Assert.ThrowsAny<ArgumentException>(() => ParseOrRethrow([name, value]));
    }

    private static CommandLine ParseOrRethrow(string[] args)
    {
        try
        {
            return CommandLine.Parse(args);
        }
        catch (FormatException e)
        {
            throw new ArgumentException(e.Message, e);
        }
    }
}
