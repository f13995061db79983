using k8s.Models;

namespace TradeMaster.Deploy.Tests;

/// <summary>The rendered overlays as typed objects (each document checked strictly on the way).</summary>
internal static class Manifests
{
    public const string DefaultOverlay = "k8s";

    /// <summary>Every rendering the repository offers; each must render offline.</summary>
    public static readonly string[] Overlays = ["k8s", "k8s/overlays/kafka", "k8s/overlays/pubsub", "k8s/overlays/kafka-ui"];

    public static IReadOnlyList<object> Render(string overlay) =>
        Repo.SplitDocuments(Repo.Kustomize(overlay)).Select(StrictYaml.Check).ToList();

    public static IEnumerable<V1Deployment> AppDeployments(IEnumerable<object> objects) =>
        objects.OfType<V1Deployment>().Where(d => DaprAnnotation(d, "dapr.io/enabled") == "true");

    public static string? DaprAnnotation(V1Deployment deployment, string key) =>
        deployment.Spec.Template.Metadata.Annotations is { } annotations && annotations.TryGetValue(key, out var value)
            ? value
            : null;

    public static V1Container AppContainer(V1Deployment deployment) =>
        Assert.Single(deployment.Spec.Template.Spec.Containers, c => c.Image.StartsWith("trademaster/", StringComparison.Ordinal));

    /// <summary>Resolves a probe or service port (number or container port name) to a number.</summary>
    public static int ResolvePort(V1Container container, IntOrString port) =>
        int.TryParse(port.Value, out var number)
            ? number
            : Assert.Single(container.Ports, p => p.Name == port.Value).ContainerPort;

    public static readonly Dictionary<string, string> ServiceOfAppId = new()
    {
        ["trademaster-silo"] = "silo",
        ["trademaster-gateway"] = "gateway",
        ["trademaster-sink"] = "sink",
    };
}
