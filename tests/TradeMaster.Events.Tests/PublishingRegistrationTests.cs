using Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TradeMaster.Contracts.Events;
using TradeMaster.Publishing;

namespace TradeMaster.Events.Tests;

public sealed class PublishingRegistrationTests
{
    internal static IConfiguration Config(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [Theory]
    [InlineData(null, typeof(DaprEventPublisher))]
    [InlineData("dapr", typeof(DaprEventPublisher))]
    [InlineData("pubsub", typeof(PubSubEventPublisher))]
    [InlineData("PubSub", typeof(PubSubEventPublisher))]
    [InlineData("inprocess", typeof(InProcessEventPublisher))]
    public async Task AddTradeMasterPublishing_Transport_RegistersExactlyThatPublisher(string? transport, Type expected)
    {
        var services = new ServiceCollection();
        var config = transport is null
            ? Config(("Publishing:PubSub:ProjectId", "tm-test"))
            : Config(("Publishing:Transport", transport), ("PUBSUB_EMULATOR_HOST", "127.0.0.1:1"));

        services.AddTradeMasterPublishing(config);
        services.AddTradeMasterPublishing(config);

        Assert.Single(services, d => d.ServiceType == typeof(IEventPublisher));
        await using var provider = services.BuildServiceProvider();
        var publisher = provider.GetRequiredService<IEventPublisher>();
        Assert.IsType(expected, publisher);
        Assert.Same(publisher, provider.GetRequiredService<IEventPublisher>());
    }

    [Fact]
    public async Task AddTradeMasterPublishing_Dapr_UsesOneDaprClientForEveryResolution()
    {
        var services = new ServiceCollection().AddTradeMasterPublishing(Config(("Publishing:Transport", "dapr")));

        await using var provider = services.BuildServiceProvider();

        Assert.Single(services, d => d.ServiceType == typeof(DaprClient));
        Assert.Same(provider.GetRequiredService<DaprClient>(), provider.GetRequiredService<DaprClient>());
    }

    [Fact]
    public async Task AddTradeMasterPublishing_HostRegisteredDaprClient_IsKept()
    {
        using var own = new DaprClientBuilder().UseGrpcEndpoint("http://127.0.0.1:1").Build();
        var services = new ServiceCollection().AddSingleton(own);

        services.AddTradeMasterPublishing(Config(("Publishing:Transport", "dapr")));

        await using var provider = services.BuildServiceProvider();
        Assert.Same(own, provider.GetRequiredService<DaprClient>());
    }

    [Fact]
    public async Task AddTradeMasterPublishing_PubSubWithEmulatorHost_TalksToEmulatorWithCreateTopic()
    {
        var services = new ServiceCollection().AddTradeMasterPublishing(Config(
            ("Publishing:Transport", "pubsub"),
            ("Publishing:PubSub:ProjectId", "tm-proj"),
            ("Publishing:PubSub:TopicId", "tm-topic"),
            ("Publishing:PubSub:CreateTopic", "true"),
            ("PUBSUB_EMULATOR_HOST", "127.0.0.1:8681")));

        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<PubSubRestClient>();
        Assert.True(client.IsEmulator);
        Assert.Equal(new Uri("http://127.0.0.1:8681/"), client.BaseAddress);
        Assert.Equal("projects/tm-proj/topics/tm-topic", client.TopicPath("tm-topic"));
        Assert.Contains(provider.GetServices<IHostedService>(), s => s.GetType().Name == "PubSubTopicInitializer");
    }

    [Fact]
    public async Task AddTradeMasterPublishing_PubSubWithoutEmulator_UsesGoogleEndpoint()
    {
        var previous = Environment.GetEnvironmentVariable(PublishingServiceCollectionExtensions.EmulatorHostVariable);
        Assert.True(string.IsNullOrEmpty(previous), "this test assumes PUBSUB_EMULATOR_HOST is not set for the test process");
        var services = new ServiceCollection().AddTradeMasterPublishing(Config(("Publishing:Transport", "pubsub")));

        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<PubSubRestClient>();
        Assert.False(client.IsEmulator);
        Assert.Equal(new Uri("https://pubsub.googleapis.com/"), client.BaseAddress);
        Assert.Equal("trademaster-local", client.ProjectId);
    }

    [Fact]
    public void AddTradeMasterPublishing_UnknownTransport_ThrowsNamingTheChoices()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new ServiceCollection().AddTradeMasterPublishing(Config(("Publishing:Transport", "kafka"))));

        Assert.Contains("inprocess", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PublishAsync_InProcess_CompletesOnlyAfterTheSinkAcknowledges()
    {
        var services = new ServiceCollection().AddTradeMasterPublishing(Config(("Publishing:Transport", "inprocess")));
        await using var provider = services.BuildServiceProvider();
        var publisher = provider.GetRequiredService<IEventPublisher>();
        var bus = provider.GetRequiredService<InProcessEventBus>();
        var events = TestEvents.ForStores(2, "inproc", 3, 4);

        var publishing = publisher.PublishAsync(events, CancellationToken.None);
        var received = new List<InProcessDelivery>();
        await TradeMaster.Testing.Poll.UntilAsync(() =>
        {
            while (bus.Reader.TryRead(out var d)) received.Add(d);
            return received.Count == events.Count;
        }, TimeSpan.FromSeconds(10), "the sink received every event");
        Assert.False(publishing.IsCompleted);
        foreach (var d in received) d.Acknowledge();
        await publishing.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(events.Select(e => e.Id), received.Select(d => d.Event.Id));
    }
}
