using k8s;
using k8s.Models;
using YamlDotNet.Core;

namespace TradeMaster.Deploy.Tests;

public sealed class ManifestParsingTests
{
    public static TheoryData<string> RawManifestFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Repo.YamlFilesUnder("k8s").Concat(Repo.YamlFilesUnder("components")).Append("dapr/config.yaml"))
        {
            data.Add(file);
        }

        return data;
    }

    public static TheoryData<string> OverlayDirectories() => [.. Manifests.Overlays];

    [Theory]
    [MemberData(nameof(RawManifestFiles))]
    public void Check_EveryDocumentOfRawFile_ParsesStrictlyAgainstItsKind(string file)
    {
        var documents = Repo.SplitDocuments(Repo.Read(file));

        Assert.NotEmpty(documents);
        foreach (var document in documents)
        {
            Assert.NotNull(StrictYaml.Check(document));
        }
    }

    [Theory]
    [MemberData(nameof(OverlayDirectories))]
    public void Kustomize_Overlay_RendersOfflineAndEveryDocumentParsesStrictly(string overlay)
    {
        var objects = Manifests.Render(overlay);

        Assert.True(objects.Count >= 15, $"{overlay} rendered only {objects.Count} documents");
        Assert.Contains(objects, o => o is V1Namespace { Metadata.Name: "trademaster" });
        foreach (var obj in objects)
        {
            var ns = obj switch
            {
                IKubernetesObject<V1ObjectMeta> k => k is V1Namespace ? "trademaster" : k.Metadata.NamespaceProperty,
                DaprComponent c => c.Metadata.Namespace,
                DaprResiliency r => r.Metadata.Namespace,
                DaprConfiguration c => c.Metadata.Namespace,
                DaprSubscription s => s.Metadata.Namespace,
                StrimziKafka k => k.Metadata.Namespace,
                StrimziKafkaNodePool p => p.Metadata.Namespace,
                StrimziKafkaTopic t => t.Metadata.Namespace,
                _ => throw new InvalidOperationException("Unexpected rendered object " + obj.GetType()),
            };
            Assert.Equal("trademaster", ns);
        }
    }

    [Fact]
    public void Kustomize_KafkaOverlay_UsesKafkaComponentAndStrimzi()
    {
        var objects = Manifests.Render("k8s/overlays/kafka");

        Assert.Equal("pubsub.kafka", Assert.Single(objects.OfType<DaprComponent>()).Spec.Type);
        Assert.Single(objects.OfType<StrimziKafka>());
        Assert.Single(objects.OfType<StrimziKafkaNodePool>());
        Assert.Equal(2, objects.OfType<StrimziKafkaTopic>().Count());
        Assert.Equal(Repo.Kustomize("k8s/overlays/kafka"), Repo.Kustomize("k8s"));
    }

    [Fact]
    public void Kustomize_PubSubOverlay_SwapsComponentTypeUnderSameNameAndDropsStrimzi()
    {
        var objects = Manifests.Render("k8s/overlays/pubsub");

        var component = Assert.Single(objects.OfType<DaprComponent>());
        Assert.Equal("pubsub.gcp.pubsub", component.Spec.Type);
        Assert.Equal("trademaster-pubsub", component.Metadata.Name);
        Assert.Contains(component.Spec.Metadata, m => m.Name == "projectId");
        Assert.DoesNotContain(objects, o => o is StrimziKafka or StrimziKafkaNodePool or StrimziKafkaTopic);
        Assert.Contains(objects, o => o is V1Service { Metadata.Name: "pubsub-emulator" });
    }

    [Fact]
    public void Kustomize_KafkaUiOverlay_AddsKafkaUiPointingAtStrimziBootstrap()
    {
        var objects = Manifests.Render("k8s/overlays/kafka-ui");

        var ui = Assert.Single(objects.OfType<V1Deployment>(), d => d.Metadata.Name == "kafka-ui");
        var kafka = Assert.Single(objects.OfType<StrimziKafka>());
        var bootstrap = Assert.Single(ui.Spec.Template.Spec.Containers[0].Env, e => e.Name == "KAFKA_CLUSTERS_0_BOOTSTRAPSERVERS");
        Assert.Equal($"{kafka.Metadata.Name}-kafka-bootstrap:9092", bootstrap.Value);
    }

    // The strictness itself: if either loader silently ignored unknown fields, the tests above would prove nothing.
    [Fact]
    public void Check_BuiltInKindWithMisspelledField_Throws()
    {
        const string deployment = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: x
            spec:
              selector:
                matchLabels: {app: x}
              template:
                metadata:
                  labels: {app: x}
                spec:
                  contaners:
                    - name: x
                      image: x
            """;

        Assert.ThrowsAny<YamlException>(() => StrictYaml.Check(deployment));
    }

    [Fact]
    public void Check_DaprSubscriptionWithMisspelledField_Throws()
    {
        const string subscription = """
            apiVersion: dapr.io/v2alpha1
            kind: Subscription
            metadata:
              name: x
            spec:
              pubsubname: trademaster-pubsub
              topic: transactions
              routes:
                default: /x
              deadLettertopic: transactions-deadletter
            """;

        Assert.ThrowsAny<YamlException>(() => StrictYaml.Check(subscription));
    }

    [Fact]
    public void Check_StrimziKafkaWithZooKeeperSection_Throws()
    {
        const string kafka = """
            apiVersion: kafka.strimzi.io/v1
            kind: Kafka
            metadata:
              name: x
            spec:
              kafka:
                listeners: []
              zookeeper:
                replicas: 1
            """;

        Assert.ThrowsAny<YamlException>(() => StrictYaml.Check(kafka));
    }

    [Fact]
    public void Check_UnknownApiVersion_Throws()
    {
        Assert.Throws<InvalidOperationException>(() => StrictYaml.Check("apiVersion: kafka.strimzi.io/v1beta1\nkind: Kafka\n"));
    }

    [Fact]
    public void DaprRunFile_Parse_MatchesTheMultiAppRunTemplateFields()
    {
        var runFile = StrictYaml.Deserialize<DaprRunFile>(Repo.Read("dapr", "dapr.yaml"));

        Assert.Equal(1, runFile.Version);
        Assert.Equal(3, runFile.Apps.Count);
        foreach (var path in runFile.Common!.ResourcesPaths!)
        {
            Assert.True(Directory.Exists(Path.Combine(Repo.PathOf("dapr"), path)), $"resources path {path} does not exist");
        }

        Assert.True(File.Exists(Path.Combine(Repo.PathOf("dapr"), runFile.Common.ConfigFilePath!)));
        Assert.All(runFile.Apps, app => Assert.Equal(["dotnet", "run", "--no-launch-profile"], app.Command));
    }
}
