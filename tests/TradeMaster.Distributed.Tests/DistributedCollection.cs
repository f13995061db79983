using TradeMaster.Testing;

// Each test starts several .NET processes (and shares one JVM emulator): running them one at a time keeps a
// two-core machine from timing out its own health checks.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

namespace TradeMaster.Distributed.Tests;

/// <summary>The tests share the real Pub/Sub emulator; every test uses topics and subscriptions of its own.</summary>
[CollectionDefinition(Name)]
public sealed class DistributedCollection : ICollectionFixture<PubSubEmulator>
{
    public const string Name = "distributed";

    public const string ProjectId = "trademaster-distributed-tests";

    /// <summary>The silo's <c>pubsub</c> transport on the emulator, publishing to <paramref name="topicId"/>.</summary>
    public static void UsePubSub(DistributedServices services, PubSubEmulator emulator, string topicId, bool createTopic)
    {
        services.Publishing["Publishing__Transport"] = "pubsub";
        services.Publishing["PUBSUB_EMULATOR_HOST"] = emulator.HostPort;
        services.Publishing["Publishing__PubSub__ProjectId"] = ProjectId;
        services.Publishing["Publishing__PubSub__TopicId"] = topicId;
        services.Publishing["Publishing__PubSub__CreateTopic"] = createTopic ? "true" : "false";
    }
}
