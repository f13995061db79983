using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

/// <summary>The <c>Publishing</c> configuration section (docs/configuration.md).</summary>
public sealed class PublishingOptions
{
    public const string SectionName = "Publishing";

    /// <summary><c>dapr</c>, <c>pubsub</c> or <c>inprocess</c>.</summary>
    public string Transport { get; set; } = Transports.Dapr;

    public DaprPublishingOptions Dapr { get; set; } = new();

    public PubSubPublishingOptions PubSub { get; set; } = new();
}

public static class Transports
{
    public const string Dapr = "dapr";
    public const string PubSub = "pubsub";
    public const string InProcess = "inprocess";
}

public sealed class DaprPublishingOptions
{
    public string PubSubName { get; set; } = Messaging.PubSubName;

    public string Topic { get; set; } = Messaging.TransactionsTopic;
}

public sealed class PubSubPublishingOptions
{
    public string ProjectId { get; set; } = "trademaster-local";

    public string TopicId { get; set; } = Messaging.TransactionsTopic;

    /// <summary>Create the topic at start (dev and emulator only; production topics are provisioned).</summary>
    public bool CreateTopic { get; set; }

    /// <summary>
    /// <c>host:port</c> of the Pub/Sub emulator. Bound from <c>PUBSUB_EMULATOR_HOST</c> when not set here, the
    /// variable every Google client library honours.
    /// </summary>
    public string? EmulatorHost { get; set; }
}
