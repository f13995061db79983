using k8s;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace TradeMaster.Deploy.Tests;

// Field whitelists of the non-built-in resources, written from the specs their projects publish:
//   Dapr: docs.dapr.io resource specs (Component, Resiliency, Configuration, Subscription v2alpha1) and the CRD
//         types in dapr/dapr pkg/apis; Multi-App Run: the template reference and dapr/cli pkg/runfileconfig.
//   Strimzi: the kafka.strimzi.io/v1 API reference (Kafka, KafkaNodePool, KafkaTopic).
//   Kustomize: the Kustomization and Component file references.
// A field that is not declared here is an error (YamlDotNet without IgnoreUnmatchedProperties), so a typo such as
// `deadLettertopic` or a field the tool silently ignores fails the test instead of failing in a cluster.

internal static class StrictYaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder()
        .WithNamingConvention(CamelCaseNamingConvention.Instance)
        .WithDuplicateKeyChecking()
        .Build();

    public static T Deserialize<T>(string yaml) => Deserializer.Deserialize<T>(yaml);

    private static readonly HashSet<string> BuiltInApiVersions =
        ["v1", "apps/v1", "policy/v1", "batch/v1", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "autoscaling/v2"];

    /// <summary>
    /// Checks one manifest document: built-in kinds with the Kubernetes client's strict loader, the others against
    /// the whitelists below. Returns the typed object. Throws on any unknown field or unknown apiVersion/kind.
    /// </summary>
    public static object Check(string document)
    {
        var type = Repo.TypeOf(document);
        var apiVersion = type[..type.LastIndexOf('/')];
        if (BuiltInApiVersions.Contains(apiVersion))
        {
            var objects = KubernetesYaml.LoadAllFromString(document, strict: true);
            var single = Assert.Single(objects);
            var kind = type[(type.LastIndexOf('/') + 1)..];
            Assert.Equal(kind, ((IKubernetesObject)single).Kind);
            return single;
        }

        return type switch
        {
            "dapr.io/v1alpha1/Component" => Deserialize<DaprComponent>(document),
            "dapr.io/v1alpha1/Resiliency" => Deserialize<DaprResiliency>(document),
            "dapr.io/v1alpha1/Configuration" => Deserialize<DaprConfiguration>(document),
            "dapr.io/v2alpha1/Subscription" => Deserialize<DaprSubscription>(document),
            "kafka.strimzi.io/v1/Kafka" => Deserialize<StrimziKafka>(document),
            "kafka.strimzi.io/v1/KafkaNodePool" => Deserialize<StrimziKafkaNodePool>(document),
            "kafka.strimzi.io/v1/KafkaTopic" => Deserialize<StrimziKafkaTopic>(document),
            "kustomize.config.k8s.io/v1beta1/Kustomization" => Deserialize<Kustomization>(document),
            "kustomize.config.k8s.io/v1alpha1/Component" => Deserialize<Kustomization>(document),
            _ => throw new InvalidOperationException($"No schema for {type}: add a whitelist from the kind's documentation."),
        };
    }
}

internal sealed class ObjectMeta
{
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public Dictionary<string, string>? Labels { get; set; }
    public Dictionary<string, string>? Annotations { get; set; }
}

// ---- Dapr -------------------------------------------------------------------------------------------------------

internal sealed class DaprComponent
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ObjectMeta Metadata { get; set; } = new();
    public ComponentAuth? Auth { get; set; }
    public ComponentSpec Spec { get; set; } = new();
    public List<string>? Scopes { get; set; }
}

internal sealed class ComponentAuth
{
    public string? SecretStore { get; set; }
}

internal sealed class ComponentSpec
{
    public string Type { get; set; } = "";
    public string Version { get; set; } = "";
    public string? InitTimeout { get; set; }
    public bool? IgnoreErrors { get; set; }
    public List<ComponentMetadataItem> Metadata { get; set; } = [];
}

internal sealed class ComponentMetadataItem
{
    public string Name { get; set; } = "";
    public object? Value { get; set; }
    public SecretKeyRef? SecretKeyRef { get; set; }
    public string? EnvRef { get; set; }
}

internal sealed class SecretKeyRef
{
    public string Name { get; set; } = "";
    public string? Key { get; set; }
}

internal sealed class DaprResiliency
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ObjectMeta Metadata { get; set; } = new();
    public List<string>? Scopes { get; set; }
    public ResiliencySpec Spec { get; set; } = new();
}

internal sealed class ResiliencySpec
{
    public ResiliencyPolicies Policies { get; set; } = new();
    public ResiliencyTargets Targets { get; set; } = new();
}

internal sealed class ResiliencyPolicies
{
    public Dictionary<string, string>? Timeouts { get; set; }
    public Dictionary<string, RetryPolicy>? Retries { get; set; }
    public Dictionary<string, CircuitBreakerPolicy>? CircuitBreakers { get; set; }
}

internal sealed class RetryPolicy
{
    public string? Policy { get; set; }
    public string? Duration { get; set; }
    public string? MaxInterval { get; set; }
    public int? MaxRetries { get; set; }
    public Dictionary<string, string>? Matching { get; set; }
}

internal sealed class CircuitBreakerPolicy
{
    public int? MaxRequests { get; set; }
    public string? Interval { get; set; }
    public string? Timeout { get; set; }
    public string? Trip { get; set; }
}

internal sealed class ResiliencyTargets
{
    public Dictionary<string, PolicyNames>? Apps { get; set; }
    public Dictionary<string, PolicyNames>? Actors { get; set; }
    public Dictionary<string, ComponentPolicyNames>? Components { get; set; }
}

internal sealed class ComponentPolicyNames
{
    public PolicyNames? Inbound { get; set; }
    public PolicyNames? Outbound { get; set; }
}

internal sealed class PolicyNames
{
    public string? Timeout { get; set; }
    public string? Retry { get; set; }
    public string? CircuitBreaker { get; set; }
    public int? CircuitBreakerCacheSize { get; set; }
    public string? CircuitBreakerScope { get; set; }
}

internal sealed class DaprConfiguration
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ObjectMeta Metadata { get; set; } = new();
    public ConfigurationSpec Spec { get; set; } = new();
}

internal sealed class ConfigurationSpec
{
    public TracingSpec? Tracing { get; set; }
    public MetricsSpec? Metrics { get; set; }
    public object? Api { get; set; }
    public object? HttpPipeline { get; set; }
    public object? AppHttpPipeline { get; set; }
    public object? NameResolution { get; set; }
    public object? Secrets { get; set; }
    public object? Components { get; set; }
    public object? AccessControl { get; set; }
    public object? Features { get; set; }
    public object? Logging { get; set; }
}

internal sealed class TracingSpec
{
    public string? SamplingRate { get; set; }
    public bool? Stdout { get; set; }
    public ZipkinSpec? Zipkin { get; set; }
    public OtelSpec? Otel { get; set; }
}

internal sealed class ZipkinSpec
{
    public string EndpointAddress { get; set; } = "";
}

internal sealed class OtelSpec
{
    public string EndpointAddress { get; set; } = "";
    public bool? IsSecure { get; set; }
    public string? Protocol { get; set; }
}

internal sealed class MetricsSpec
{
    public bool? Enabled { get; set; }
    public object? Rules { get; set; }
    public bool? RecordErrorCodes { get; set; }
    public List<int>? LatencyDistributionBuckets { get; set; }
    public object? Http { get; set; }
}

internal sealed class DaprSubscription
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ObjectMeta Metadata { get; set; } = new();
    public SubscriptionSpec Spec { get; set; } = new();
    public List<string>? Scopes { get; set; }
}

internal sealed class SubscriptionSpec
{
    public string Pubsubname { get; set; } = "";
    public string Topic { get; set; } = "";
    public Dictionary<string, string>? Metadata { get; set; }
    public SubscriptionRoutes Routes { get; set; } = new();
    public string? DeadLetterTopic { get; set; }
    public BulkSubscribeSpec? BulkSubscribe { get; set; }
}

internal sealed class SubscriptionRoutes
{
    public List<SubscriptionRule>? Rules { get; set; }
    public string? Default { get; set; }
}

internal sealed class SubscriptionRule
{
    public string? Match { get; set; }
    public string Path { get; set; } = "";
}

internal sealed class BulkSubscribeSpec
{
    public bool? Enabled { get; set; }
    public int? MaxMessagesCount { get; set; }
    public int? MaxAwaitDurationMs { get; set; }
}

// ---- Dapr Multi-App Run template (dapr run -f) ------------------------------------------------------------------

internal sealed class DaprRunFile
{
    public int Version { get; set; }
    public string? Name { get; set; }
    public DaprRunCommon? Common { get; set; }
    public List<DaprRunApp> Apps { get; set; } = [];
}

internal class DaprRunShared
{
    public string? ConfigFilePath { get; set; }
    public string? AppProtocol { get; set; }
    public string? ApiListenAddresses { get; set; }
    public bool? EnableProfiling { get; set; }
    public string? LogLevel { get; set; }
    public int? AppMaxConcurrency { get; set; }
    public string? PlacementHostAddress { get; set; }
    public string? SchedulerHostAddress { get; set; }
    public string? ResourcesPath { get; set; }
    public List<string>? ResourcesPaths { get; set; }
    [YamlMember(Alias = "appSSL")]
    public bool? AppSsl { get; set; }
    public string? MaxBodySize { get; set; }
    public string? ReadBufferSize { get; set; }
    public bool? EnableAppHealthCheck { get; set; }
    public string? AppHealthCheckPath { get; set; }
    public int? AppHealthProbeInterval { get; set; }
    public int? AppHealthProbeTimeout { get; set; }
    public int? AppHealthThreshold { get; set; }
    public bool? EnableApiLogging { get; set; }
    public string? RuntimePath { get; set; }
    public Dictionary<string, string>? Env { get; set; }
    public string? DaprdLogDestination { get; set; }
    public string? AppLogDestination { get; set; }
}

internal sealed class DaprRunCommon : DaprRunShared
{
    public string? EnvFile { get; set; }
}

internal sealed class DaprRunApp : DaprRunShared
{
    [YamlMember(Alias = "appID")]
    public string? AppId { get; set; }
    public string AppDirPath { get; set; } = "";
    public string? AppChannelAddress { get; set; }
    public int? AppPort { get; set; }
    [YamlMember(Alias = "daprHTTPPort")]
    public int? DaprHttpPort { get; set; }
    [YamlMember(Alias = "daprGRPCPort")]
    public int? DaprGrpcPort { get; set; }
    [YamlMember(Alias = "daprInternalGRPCPort")]
    public int? DaprInternalGrpcPort { get; set; }
    public int? ProfilePort { get; set; }
    public int? MetricsPort { get; set; }
    public string? UnixDomainSocket { get; set; }
    public List<string>? Command { get; set; }
    public string? ContainerImage { get; set; }
    public string? ContainerImagePullPolicy { get; set; }
    public bool? CreateService { get; set; }
}

// ---- Strimzi (kafka.strimzi.io/v1) ------------------------------------------------------------------------------

internal sealed class StrimziKafka
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ObjectMeta Metadata { get; set; } = new();
    public KafkaSpec Spec { get; set; } = new();
}

internal sealed class KafkaSpec
{
    public KafkaClusterSpec Kafka { get; set; } = new();
    public EntityOperatorSpec? EntityOperator { get; set; }
    public object? ClusterCa { get; set; }
    public object? ClientsCa { get; set; }
    public object? CruiseControl { get; set; }
    public object? KafkaExporter { get; set; }
    public List<string>? MaintenanceTimeWindows { get; set; }
}

internal sealed class KafkaClusterSpec
{
    public string? Version { get; set; }
    public string? MetadataVersion { get; set; }
    public string? Image { get; set; }
    public List<KafkaListener> Listeners { get; set; } = [];
    public Dictionary<string, object>? Config { get; set; }
    public object? Authorization { get; set; }
    public object? Rack { get; set; }
    public object? BrokerRackInitImage { get; set; }
    public object? LivenessProbe { get; set; }
    public object? ReadinessProbe { get; set; }
    public object? JvmOptions { get; set; }
    public object? JmxOptions { get; set; }
    public object? Resources { get; set; }
    public object? MetricsConfig { get; set; }
    public object? Logging { get; set; }
    public object? Template { get; set; }
    public object? TieredStorage { get; set; }
    public object? Quotas { get; set; }
}

internal sealed class KafkaListener
{
    public string Name { get; set; } = "";
    public int Port { get; set; }
    public string Type { get; set; } = "";
    public bool Tls { get; set; }
    public object? Authentication { get; set; }
    public object? Configuration { get; set; }
    public object? NetworkPolicyPeers { get; set; }
}

internal sealed class EntityOperatorSpec
{
    public EntityOperatorChild? TopicOperator { get; set; }
    public EntityOperatorChild? UserOperator { get; set; }
    public object? Template { get; set; }
}

internal sealed class EntityOperatorChild
{
    public string? WatchedNamespace { get; set; }
    public string? Image { get; set; }
    public long? ReconciliationIntervalMs { get; set; }
    public object? Resources { get; set; }
    public object? LivenessProbe { get; set; }
    public object? ReadinessProbe { get; set; }
    public object? StartupProbe { get; set; }
    public object? Logging { get; set; }
    public object? JvmOptions { get; set; }
}

internal sealed class StrimziKafkaNodePool
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ObjectMeta Metadata { get; set; } = new();
    public KafkaNodePoolSpec Spec { get; set; } = new();
}

internal sealed class KafkaNodePoolSpec
{
    public int Replicas { get; set; }
    public List<string> Roles { get; set; } = [];
    public NodePoolStorage Storage { get; set; } = new();
    public object? Resources { get; set; }
    public object? JvmOptions { get; set; }
    public object? Template { get; set; }
}

internal sealed class NodePoolStorage
{
    public string Type { get; set; } = "";
    public List<StorageVolume>? Volumes { get; set; }
    public string? Size { get; set; }
    public string? Class { get; set; }
    public bool? DeleteClaim { get; set; }
    public string? KraftMetadata { get; set; }
    public object? Selector { get; set; }
}

internal sealed class StorageVolume
{
    public int Id { get; set; }
    public string Type { get; set; } = "";
    public string? Size { get; set; }
    public string? SizeLimit { get; set; }
    public string? Class { get; set; }
    public bool? DeleteClaim { get; set; }
    public string? KraftMetadata { get; set; }
    public object? Selector { get; set; }
}

internal sealed class StrimziKafkaTopic
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public ObjectMeta Metadata { get; set; } = new();
    public KafkaTopicSpec Spec { get; set; } = new();
}

internal sealed class KafkaTopicSpec
{
    public string? TopicName { get; set; }
    public int? Partitions { get; set; }
    public int? Replicas { get; set; }
    public Dictionary<string, object>? Config { get; set; }
}

// ---- Kustomize --------------------------------------------------------------------------------------------------

internal sealed class Kustomization
{
    public string ApiVersion { get; set; } = "";
    public string Kind { get; set; } = "";
    public string? Namespace { get; set; }
    public List<KustomizeLabel>? Labels { get; set; }
    public List<string>? Resources { get; set; }
    public List<string>? Components { get; set; }
    public List<KustomizeImage>? Images { get; set; }
    public List<KustomizePatch>? Patches { get; set; }
}

internal sealed class KustomizeLabel
{
    public Dictionary<string, string> Pairs { get; set; } = [];
    public bool? IncludeSelectors { get; set; }
    public bool? IncludeTemplates { get; set; }
}

internal sealed class KustomizeImage
{
    public string Name { get; set; } = "";
    public string? NewName { get; set; }
    public string? NewTag { get; set; }
    public string? Digest { get; set; }
}

internal sealed class KustomizePatch
{
    public string? Path { get; set; }
    public string? Patch { get; set; }
    public KustomizeTarget? Target { get; set; }
    public Dictionary<string, bool>? Options { get; set; }
}

internal sealed class KustomizeTarget
{
    public string? Group { get; set; }
    public string? Version { get; set; }
    public string? Kind { get; set; }
    public string? Name { get; set; }
    public string? Namespace { get; set; }
    public string? LabelSelector { get; set; }
    public string? AnnotationSelector { get; set; }
}
