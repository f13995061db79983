using System.Text.RegularExpressions;
using k8s.Models;
using TradeMaster.Contracts.Events;
using YamlDotNet.RepresentationModel;

namespace TradeMaster.Deploy.Tests;

/// <summary>The names that tie code, Dapr files, compose file and manifests together.</summary>
public sealed partial class NameAlignmentTests
{
    private static readonly string[] AppIds = ["trademaster-silo", "trademaster-gateway", "trademaster-sink"];

    private static DaprRunFile RunFile => StrictYaml.Deserialize<DaprRunFile>(Repo.Read("dapr", "dapr.yaml"));

    public static TheoryData<string> OverlayDirectories() => [.. Manifests.Overlays];

    private static IEnumerable<T> RawDocuments<T>(string folder) =>
        Repo.YamlFilesUnder(folder)
            .SelectMany(f => Repo.SplitDocuments(Repo.Read(f)))
            .Select(StrictYaml.Check)
            .OfType<T>();

    [Fact]
    public void AppIds_DaprRunFileAndK8sAnnotations_AreTheSameThree()
    {
        var runIds = RunFile.Apps.Select(a => a.AppId).Order().ToArray();
        var k8sIds = Manifests.AppDeployments(Manifests.Render(Manifests.DefaultOverlay))
            .Select(d => Manifests.DaprAnnotation(d, "dapr.io/app-id")).Order().ToArray();

        Assert.Equal(AppIds.Order(), runIds);
        Assert.Equal(AppIds.Order(), k8sIds);
    }

    [Fact]
    public void AppDirPaths_DaprRunFile_PointAtTheHostProjectsTheDockerfilesBuild()
    {
        foreach (var app in RunFile.Apps)
        {
            var service = Manifests.ServiceOfAppId[app.AppId!];
            var project = ProjectName(service);
            Assert.Equal($"../{service}/{project}/", app.AppDirPath);
            Assert.Contains($"{service}/{project}/{project}.csproj", Repo.Read(service, "Dockerfile"), StringComparison.Ordinal);
        }
    }

    [Theory]
    [MemberData(nameof(OverlayDirectories))]
    public void PubSubComponent_EveryRendering_IsNamedMessagingPubSubNameAndScopedToKnownApps(string overlay)
    {
        var component = Assert.Single(Manifests.Render(overlay).OfType<DaprComponent>());

        Assert.Equal(Messaging.PubSubName, component.Metadata.Name);
        Assert.Equal(["trademaster-silo", "trademaster-sink"], component.Scopes!.Order());
    }

    [Fact]
    public void PubSubComponents_LocalFolders_ShareMessagingPubSubNameWithDifferentTypes()
    {
        var kafka = Assert.Single(RawDocuments<DaprComponent>("components/kafka"));
        var pubsub = Assert.Single(RawDocuments<DaprComponent>("components/pubsub"));

        Assert.Equal(Messaging.PubSubName, kafka.Metadata.Name);
        Assert.Equal(Messaging.PubSubName, pubsub.Metadata.Name);
        Assert.Equal("pubsub.kafka", kafka.Spec.Type);
        Assert.Equal("pubsub.gcp.pubsub", pubsub.Spec.Type);
        Assert.Contains(kafka.Spec.Metadata, m => m.Name == "brokers");
        Assert.Contains(pubsub.Spec.Metadata, m => m.Name == "endpoint" && (string?)m.Value == "localhost:8085");
        Assert.Equal(kafka.Scopes, pubsub.Scopes);
    }

    [Fact]
    public void Topics_StrimziResources_AreTheMessagingTopicsWithSixPartitions()
    {
        var objects = Manifests.Render(Manifests.DefaultOverlay);
        var kafka = Assert.Single(objects.OfType<StrimziKafka>());
        var topics = objects.OfType<StrimziKafkaTopic>().ToList();

        Assert.Equal(
            new[] { Messaging.DeadLetterTopic, Messaging.TransactionsTopic }.Order(),
            topics.Select(t => t.Spec.TopicName ?? t.Metadata.Name).Order());
        Assert.Equal(6, topics.Single(t => t.Metadata.Name == Messaging.TransactionsTopic).Spec.Partitions);
        Assert.All(topics, t => Assert.Equal(kafka.Metadata.Name, t.Metadata.Labels!["strimzi.io/cluster"]));
        var pool = Assert.Single(objects.OfType<StrimziKafkaNodePool>());
        Assert.Equal(kafka.Metadata.Name, pool.Metadata.Labels!["strimzi.io/cluster"]);
        Assert.Equal(["broker", "controller"], pool.Spec.Roles.Order());
    }

    [Fact]
    public void Topics_ComposeFile_CreatesTheMessagingTopicsWithSixPartitions()
    {
        var compose = Repo.Read("dapr", "docker-compose.kafka.yaml");

        Assert.Matches($@"--topic {Messaging.TransactionsTopic} --partitions 6\b", compose);
        Assert.Matches($@"--topic {Messaging.DeadLetterTopic} --partitions \d+", compose);
    }

    [Fact]
    public void Subscriptions_DeclarativeFiles_UseMessagingNamesAndDeadLetterTopic()
    {
        var subscriptions = RawDocuments<DaprSubscription>("components/subscriptions")
            .Concat(RawDocuments<DaprSubscription>("k8s/components/declarative-subscription")).ToList();

        Assert.Equal(2, subscriptions.Count);
        Assert.All(subscriptions, s =>
        {
            Assert.Equal(Messaging.PubSubName, s.Spec.Pubsubname);
            Assert.Equal(Messaging.TransactionsTopic, s.Spec.Topic);
            Assert.Equal(Messaging.DeadLetterTopic, s.Spec.DeadLetterTopic);
            Assert.Equal(["trademaster-sink"], s.Scopes);
        });
        Assert.Equal(subscriptions[0].Spec.Routes.Default, subscriptions[1].Spec.Routes.Default);
        // The route must be the path the sink serves its topic endpoint at (a string literal in the sink's code).
        var route = $"\"{subscriptions[0].Spec.Routes.Default}\"";
        Assert.Contains(
            Directory.EnumerateFiles(Repo.PathOf("sink"), "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains("/obj/", StringComparison.Ordinal)),
            f => File.ReadAllText(f).Contains(route, StringComparison.Ordinal));
    }

    [Fact]
    public void Subscriptions_DefaultRunModes_LoadNoDeclarativeSubscription()
    {
        // The sink's programmatic subscription is the one in use; a second, declarative one must not be loaded.
        Assert.All(RunFile.Common!.ResourcesPaths!, path =>
            Assert.Empty(Repo.YamlFilesUnder(Path.GetRelativePath(Repo.Root, Path.Combine(Repo.PathOf("dapr"), path)))
                .SelectMany(f => Repo.SplitDocuments(Repo.Read(f))).Select(StrictYaml.Check).OfType<DaprSubscription>()));
        foreach (var overlay in new[] { "k8s", "k8s/overlays/kafka", "k8s/overlays/pubsub" })
        {
            Assert.DoesNotContain(Manifests.Render(overlay), o => o is DaprSubscription);
        }
    }

    [Fact]
    public void Publishing_SiloSettings_NameMessagingPubSubAndTopic()
    {
        var silo = RunFile.Apps.Single(a => a.AppId == "trademaster-silo").Env!;
        var container = Manifests.AppContainer(Manifests.Render(Manifests.DefaultOverlay).OfType<V1Deployment>()
            .Single(d => d.Metadata.Name == "trademaster-silo"));

        Assert.Equal(Messaging.PubSubName, silo["Publishing__Dapr__PubSubName"]);
        Assert.Equal(Messaging.TransactionsTopic, silo["Publishing__Dapr__Topic"]);
        Assert.Equal(Messaging.PubSubName, container.Env.Single(e => e.Name == "Publishing__Dapr__PubSubName").Value);
        Assert.Equal(Messaging.TransactionsTopic, container.Env.Single(e => e.Name == "Publishing__Dapr__Topic").Value);
    }

    [Fact]
    public void Resiliency_K8sCopy_EqualsComponentsCopyAndTargetsExistingNames()
    {
        var local = Assert.Single(RawDocuments<DaprResiliency>("components/common"));
        var k8s = Assert.Single(Manifests.Render(Manifests.DefaultOverlay).OfType<DaprResiliency>());

        Assert.Equal(Canonical(Repo.Read("components", "common", "resiliency.yaml")), Canonical(Repo.Read("k8s", "base", "dapr", "resiliency.yaml")));
        var policies = k8s.Spec.Policies;
        var component = Assert.Single(k8s.Spec.Targets.Components!);
        Assert.Equal(Messaging.PubSubName, component.Key);
        Assert.NotNull(component.Value.Outbound?.CircuitBreaker);
        Assert.NotNull(component.Value.Inbound?.Retry);
        Assert.Contains("trademaster-sink", k8s.Spec.Targets.Apps!.Keys);
        Assert.All(k8s.Spec.Targets.Apps.Keys, id => Assert.Contains(id, AppIds));
        var named = k8s.Spec.Targets.Apps.Values
            .Concat(k8s.Spec.Targets.Components!.Values.SelectMany(c => new[] { c.Inbound, c.Outbound }).OfType<PolicyNames>());
        foreach (var names in named)
        {
            Assert.True(names.Retry is null || policies.Retries!.ContainsKey(names.Retry), $"retry {names.Retry} undefined");
            Assert.True(names.Timeout is null || policies.Timeouts!.ContainsKey(names.Timeout), $"timeout {names.Timeout} undefined");
            Assert.True(names.CircuitBreaker is null || policies.CircuitBreakers!.ContainsKey(names.CircuitBreaker), $"breaker {names.CircuitBreaker} undefined");
        }

        // Bounded: no retry policy may retry forever (maxRetries unset or -1 means forever in Dapr).
        Assert.All(policies.Retries!.Values, r => Assert.InRange(r.MaxRetries ?? -1, 1, 20));
        Assert.Equal(local.Spec.Policies.Retries!.Keys.Order(), policies.Retries.Keys.Order());
    }

    [Theory]
    [MemberData(nameof(OverlayDirectories))]
    public void Secrets_ReferencedByDeployments_ExistWithTheReferencedKeys(string overlay)
    {
        var objects = Manifests.Render(overlay);
        var secrets = objects.OfType<V1Secret>().ToDictionary(
            s => s.Metadata.Name,
            s => (s.StringData?.Keys ?? []).Concat(s.Data?.Keys ?? []).ToHashSet());
        var references = new List<(string Secret, string? Key, string Where)>();
        foreach (var workload in objects.OfType<V1Deployment>().Select(d => (d.Metadata.Name, d.Spec.Template))
                     .Concat(objects.OfType<V1StatefulSet>().Select(s => (s.Metadata.Name, s.Spec.Template))))
        {
            var (name, template) = workload;
            foreach (var container in template.Spec.Containers.Concat(template.Spec.InitContainers ?? []))
            {
                foreach (var env in container.Env ?? [])
                {
                    if (env.ValueFrom?.SecretKeyRef is { } reference)
                    {
                        references.Add((reference.Name, reference.Key, $"{name}/{container.Name}/{env.Name}"));
                    }
                }
            }

            foreach (var volume in template.Spec.Volumes ?? [])
            {
                if (volume.Secret is { } secretVolume)
                {
                    references.Add((secretVolume.SecretName, null, $"{name}/volume {volume.Name}"));
                }
            }

            foreach (var (annotation, key) in new[] { ("dapr.io/app-token-secret", "token"), ("dapr.io/api-token-secret", "token") })
            {
                if (template.Metadata.Annotations?.TryGetValue(annotation, out var secretName) == true)
                {
                    references.Add((secretName, key, $"{name}/{annotation}"));
                }
            }
        }

        Assert.Contains(references, r => r.Secret == "trademaster-customer-key");
        Assert.Contains(references, r => r.Secret == "trademaster-gcs-credentials");
        Assert.Contains(references, r => r.Secret == "trademaster-app-api-token");
        foreach (var (secret, key, where) in references)
        {
            Assert.True(secrets.ContainsKey(secret), $"{where} references missing secret {secret}");
            Assert.True(key is null || secrets[secret].Contains(key), $"{where} references missing key {key} of {secret}");
        }
    }

    [Fact]
    public void Secrets_GcsCredentials_MountedWhereGoogleApplicationCredentialsPoints()
    {
        var sink = Manifests.Render(Manifests.DefaultOverlay).OfType<V1Deployment>().Single(d => d.Metadata.Name == "trademaster-sink");
        var container = Manifests.AppContainer(sink);
        var path = container.Env.Single(e => e.Name == "GOOGLE_APPLICATION_CREDENTIALS").Value;
        var volume = sink.Spec.Template.Spec.Volumes.Single(v => v.Secret?.SecretName == "trademaster-gcs-credentials");
        var mount = container.VolumeMounts.Single(m => m.Name == volume.Name);

        Assert.Equal(Path.Combine(mount.MountPath, "key.json"), path);
    }

    [Theory]
    [MemberData(nameof(OverlayDirectories))]
    public void Ports_ContainerProbesAndDaprAppPort_AllAgree(string overlay)
    {
        var objects = Manifests.Render(overlay);
        var deployments = Manifests.AppDeployments(objects).ToList();

        Assert.Equal(3, deployments.Count);
        foreach (var deployment in deployments)
        {
            var appPort = int.Parse(Manifests.DaprAnnotation(deployment, "dapr.io/app-port")!, System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal("http", Manifests.DaprAnnotation(deployment, "dapr.io/app-protocol"));
            Assert.Equal("trademaster", Manifests.DaprAnnotation(deployment, "dapr.io/config"));
            var container = Manifests.AppContainer(deployment);
            Assert.Equal(appPort, container.Ports.Single(p => p.Name == "http").ContainerPort);
            foreach (var (probe, path) in new[] { (container.StartupProbe, "/health/live"), (container.LivenessProbe, "/health/live"), (container.ReadinessProbe, "/health/ready") })
            {
                Assert.NotNull(probe?.HttpGet);
                Assert.Equal(path, probe.HttpGet.Path);
                Assert.Equal(appPort, Manifests.ResolvePort(container, probe.HttpGet.Port));
            }

            Assert.NotNull(container.Resources?.Requests);
            Assert.NotNull(container.Resources?.Limits);
            var service = objects.OfType<V1Service>().Single(s => s.Metadata.Name == deployment.Metadata.Name);
            Assert.All(service.Spec.Selector, kv => Assert.Equal(kv.Value, deployment.Spec.Template.Metadata.Labels[kv.Key]));
            Assert.Contains(service.Spec.Ports, p => Manifests.ResolvePort(container, p.TargetPort) == appPort);
        }

        Assert.NotNull(objects.OfType<DaprConfiguration>().SingleOrDefault(c => c.Metadata.Name == "trademaster"));
    }

    [Fact]
    public void Ports_DaprRunFile_AppPortIsTheKestrelPortAndUnique()
    {
        var apps = RunFile.Apps;

        Assert.All(apps, a => Assert.Equal(a.AppPort, new Uri(a.Env!["Urls"]).Port));
        Assert.Equal(apps.Count, apps.Select(a => a.AppPort).Distinct().Count());
        var silo = apps.Single(a => a.AppId == "trademaster-silo").Env!;
        Assert.NotEqual(new Uri(silo["Urls"]).Port.ToString(System.Globalization.CultureInfo.InvariantCulture), silo["Dashboard__Port"]);
    }

    [Fact]
    public void Silo_Deployment_HasGracePeriodAboveShutdownTimeoutPdbAndPodIp()
    {
        const int siloShutdownTimeoutSeconds = 60;
        var objects = Manifests.Render(Manifests.DefaultOverlay);
        var silo = objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "trademaster-silo");
        var container = Manifests.AppContainer(silo);
        var env = container.Env.ToDictionary(e => e.Name);

        Assert.True(silo.Spec.Template.Spec.TerminationGracePeriodSeconds > siloShutdownTimeoutSeconds);
        Assert.Equal("status.podIP", env["POD_IP"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.name", env["POD_NAME"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("metadata.namespace", env["POD_NAMESPACE"].ValueFrom.FieldRef.FieldPath);
        Assert.Equal("$(POD_IP)", env["Orleans__AdvertisedIP"].Value);
        Assert.Equal("adonet", env["Orleans__ClusteringMode"].Value);
        Assert.Equal(11111, container.Ports.Single(p => p.Name == "silo").ContainerPort);
        Assert.Equal("11111", env["Orleans__SiloPort"].Value);
        Assert.Equal(env["Orleans__GatewayPort"].Value, container.Ports.Single(p => p.Name == "orleans-gateway").ContainerPort.ToString());
        var pdb = Assert.Single(objects.OfType<V1PodDisruptionBudget>());
        Assert.Equal("1", pdb.Spec.MinAvailable.Value);
        Assert.All(pdb.Spec.Selector.MatchLabels, kv => Assert.Equal(kv.Value, silo.Spec.Template.Metadata.Labels[kv.Key]));
        var gateway = Manifests.AppContainer(objects.OfType<V1Deployment>().Single(d => d.Metadata.Name == "trademaster-gateway"));
        foreach (var key in new[] { "Orleans__ClusterId", "Orleans__ServiceId" })
        {
            Assert.Equal(env[key].Value, gateway.Env.Single(e => e.Name == key).Value);
        }
    }

    [Fact]
    public void EnvVars_ManifestsAndRunFile_AreRowsOfConfigurationDoc()
    {
        var documented = DocumentedNames();
        var used = new List<(string Name, string Where)>();
        foreach (var overlay in Manifests.Overlays)
        {
            foreach (var deployment in Manifests.Render(overlay).OfType<V1Deployment>())
            {
                // TradeMaster's own containers only: third-party images (postgres, kafka-ui) have their own contracts.
                foreach (var container in deployment.Spec.Template.Spec.Containers.Where(c => c.Image.StartsWith("trademaster/", StringComparison.Ordinal)))
                {
                    used.AddRange((container.Env ?? []).Select(e => (e.Name, $"{overlay}: {deployment.Metadata.Name}")));
                }
            }
        }

        var runFile = RunFile;
        used.AddRange((runFile.Common!.Env ?? []).Keys.Select(k => (k, "dapr.yaml common")));
        used.AddRange(runFile.Apps.SelectMany(a => (a.Env ?? []).Keys.Select(k => (k, $"dapr.yaml {a.AppId}"))));

        Assert.True(used.Count > 30, "expected the manifests and dapr.yaml to set configuration");
        var undocumented = used.Where(u => !documented.Contains(u.Name)).Select(u => $"{u.Name} ({u.Where})").Distinct().ToList();
        Assert.True(undocumented.Count == 0, "Not in docs/configuration.md: " + string.Join(", ", undocumented));
    }

    [Fact]
    public void EnvVars_ConfigurationDocParser_FindsKnownRows()
    {
        var documented = DocumentedNames();

        Assert.Contains("ConnectionStrings__TradeMaster", documented);
        Assert.Contains("Ledger__MaxRentalDays", documented);
        Assert.Contains("DAPR_API_TOKEN", documented);
        Assert.DoesNotContain("Ledger__Nonexistent", documented);
    }

    [Fact]
    public void RuntimeSettings_OfDirectoryBuildProps_AreRowsOfConfigurationDocWithTheirValues()
    {
        var props = System.Xml.Linq.XDocument.Parse(Repo.Read("Directory.Build.props"));
        var settings = props.Descendants("RuntimeHostConfigurationOption")
            .Select(e => (Name: (string)e.Attribute("Include")!, Value: (string)e.Attribute("Value")!))
            .Concat(props.Descendants("GarbageCollectionAdaptationMode").Select(e => (Name: "System.GC.DynamicAdaptationMode", Value: e.Value.Trim())))
            .ToList();
        var rows = ConfigurationDocRows();

        Assert.True(settings.Count >= 2, "expected Directory.Build.props to set the runtime");
        Assert.All(settings, setting =>
        {
            var row = rows.SingleOrDefault(l => l.StartsWith($"| `{setting.Name}`", StringComparison.Ordinal));
            Assert.True(row is not null, $"{setting.Name} is set in Directory.Build.props but has no row in docs/configuration.md");
            Assert.Contains($"`{setting.Value}`", row);
        });
    }

    /// <summary>The table rows of docs/configuration.md whose first cell names a setting in backticks.</summary>
    private static List<string> ConfigurationDocRows() =>
        [.. Repo.Read("docs", "configuration.md").Split('\n').Where(l => l.StartsWith("| `", StringComparison.Ordinal))];

    private static HashSet<string> DocumentedNames()
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in ConfigurationDocRows())
        {
            var firstCell = line.Split('|', StringSplitOptions.TrimEntries)[1];
            foreach (Match match in BacktickedName().Matches(firstCell))
            {
                names.Add(match.Groups[1].Value);
            }
        }

        return names;
    }

    internal static string ProjectName(string service) =>
        $"TradeMaster.{char.ToUpperInvariant(service[0])}{service[1..]}.Host";

    private static string Canonical(string yaml)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(yaml));
        var writer = new StringWriter();
        stream.Save(writer, assignAnchors: false);
        return writer.ToString();
    }

    [GeneratedRegex("`([A-Za-z_][A-Za-z0-9_]*)`")]
    private static partial Regex BacktickedName();
}
