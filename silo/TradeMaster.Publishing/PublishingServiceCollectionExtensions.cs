using Dapr.Client;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

public static class PublishingServiceCollectionExtensions
{
    public const string EmulatorHostVariable = "PUBSUB_EMULATOR_HOST";

    /// <summary>
    /// Registers the one <see cref="IEventPublisher"/> that <c>Publishing:Transport</c> names (<c>dapr</c> by
    /// default, <c>pubsub</c> or <c>inprocess</c>) and what it needs: a single DaprClient, a single Pub/Sub client,
    /// or the process's <see cref="InProcessEventBus"/>.
    /// </summary>
    public static IServiceCollection AddTradeMasterPublishing(this IServiceCollection services, IConfiguration configuration)
    {
        var section = configuration.GetSection(PublishingOptions.SectionName);
        services.AddOptions<PublishingOptions>()
            .Bind(section)
            .PostConfigure(o =>
            {
                if (string.IsNullOrWhiteSpace(o.PubSub.EmulatorHost))
                {
                    o.PubSub.EmulatorHost = configuration[EmulatorHostVariable] is { Length: > 0 } fromConfig
                        ? fromConfig
                        : Environment.GetEnvironmentVariable(EmulatorHostVariable);
                }
            });

        var transport = (section[nameof(PublishingOptions.Transport)] ?? Transports.Dapr).Trim().ToLowerInvariant();
        ServiceDescriptor publisher;
        switch (transport)
        {
            case Transports.Dapr:
                // One client for the process: it holds the gRPC channel to the sidecar (DAPR_GRPC_ENDPOINT / _PORT,
                // DAPR_API_TOKEN are read by the builder). A host that already registered one keeps it.
                services.TryAddSingleton(_ => new DaprClientBuilder().Build());
                publisher = ServiceDescriptor.Singleton<IEventPublisher, DaprEventPublisher>();
                break;
            case Transports.PubSub:
                services.TryAddSingleton(sp => PubSubRestClient.Create(sp.GetRequiredService<IOptions<PublishingOptions>>().Value.PubSub));
                services.TryAddSingleton<PubSubEventPublisher>();
                publisher = ServiceDescriptor.Singleton<IEventPublisher>(sp => sp.GetRequiredService<PubSubEventPublisher>());
                services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PubSubTopicInitializer>());
                break;
            case Transports.InProcess:
                services.TryAddSingleton<InProcessEventBus>();
                publisher = ServiceDescriptor.Singleton<IEventPublisher, InProcessEventPublisher>();
                break;
            default:
                throw new InvalidOperationException(
                    $"Publishing:Transport '{transport}' is not one of '{Transports.Dapr}', '{Transports.PubSub}', '{Transports.InProcess}'.");
        }
        services.RemoveAll<IEventPublisher>();
        services.Add(publisher);
        return services;
    }
}

/// <summary>Creates the Pub/Sub topic when the silo starts, if <c>Publishing:PubSub:CreateTopic</c> is set (dev only).</summary>
internal sealed class PubSubTopicInitializer(PubSubEventPublisher publisher) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => publisher.EnsureTopicAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
