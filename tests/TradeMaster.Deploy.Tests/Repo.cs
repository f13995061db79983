using System.Diagnostics;
using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace TradeMaster.Deploy.Tests;

/// <summary>Paths of the repository under test and the YAML it holds, read fresh from the working tree.</summary>
internal static partial class Repo
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    /// <summary>Every YAML file below a folder of the repository (relative paths, sorted).</summary>
    public static IReadOnlyList<string> YamlFilesUnder(string folder) =>
        Directory.EnumerateFiles(PathOf(folder), "*.*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal))
            .Select(f => Path.GetRelativePath(Root, f))
            .Order(StringComparer.Ordinal)
            .ToList();

    /// <summary>Splits a multi-document YAML text into the text of each non-empty document.</summary>
    public static IReadOnlyList<string> SplitDocuments(string yaml) =>
        DocumentSeparator().Split(yaml)
            .Where(d => d.Split('\n').Any(l => l.Trim().Length > 0 && !l.TrimStart().StartsWith('#')))
            .ToList();

    public static YamlMappingNode ParseMapping(string document)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(document));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    public static string? Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? (value as YamlScalarNode)?.Value : null;

    /// <summary>The apiVersion/kind of a document, e.g. "apps/v1/Deployment".</summary>
    public static string TypeOf(string document)
    {
        var root = ParseMapping(document);
        return $"{Scalar(root, "apiVersion")}/{Scalar(root, "kind")}";
    }

    private static readonly Dictionary<string, string> RenderCache = [];

    /// <summary>`kubectl kustomize DIR`, offline. Fails (never skips) when kubectl is not installed.</summary>
    public static string Kustomize(string relativeDir)
    {
        lock (RenderCache)
        {
            if (RenderCache.TryGetValue(relativeDir, out var cached))
            {
                return cached;
            }

            var kubectl = FindOnPath("kubectl") ?? throw new InvalidOperationException(
                "kubectl is not on PATH. The deploy tests render the Kustomize overlays with it and are never skipped " +
                $"(CI={Environment.GetEnvironmentVariable("CI") ?? "unset"}); install kubectl (Debian/Ubuntu package `kubectl`).");
            var start = new ProcessStartInfo(kubectl)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Root,
            };
            start.ArgumentList.Add("kustomize");
            start.ArgumentList.Add(relativeDir);
            using var process = Process.Start(start)!;
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"kubectl kustomize {relativeDir} did not finish within 60 s.");
            }

            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"kubectl kustomize {relativeDir} exited with {process.ExitCode}: {stderr.Result}");
            }

            RenderCache[relativeDir] = stdout.Result;
            return stdout.Result;
        }
    }

    private static string? FindOnPath(string executable) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, executable))
            .FirstOrDefault(File.Exists);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Packages.props")) &&
                Directory.Exists(Path.Combine(dir.FullName, "k8s")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Repository root (Directory.Packages.props + k8s/) not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"^---[ \t]*(?:#.*)?$", RegexOptions.Multiline)]
    private static partial Regex DocumentSeparator();
}
