using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace TradeMaster.Deploy.Tests;

public sealed partial class DockerfileTests
{
    public static TheoryData<string> Services() => ["silo", "gateway", "sink"];

    [Theory]
    [MemberData(nameof(Services))]
    public void Entrypoint_Dockerfile_RunsTheHostProjectAssembly(string service)
    {
        var project = NameAlignmentTests.ProjectName(service);
        var entrypoint = JsonSerializer.Deserialize<string[]>(Entrypoint().Match(Repo.Read(service, "Dockerfile")).Groups[1].Value)!;

        Assert.Equal(["dotnet", $"{project}.dll"], entrypoint);
        // Once the project exists, its assembly name must still be what the image runs.
        var csproj = Repo.PathOf(service, project, $"{project}.csproj");
        if (File.Exists(csproj))
        {
            var assemblyName = XDocument.Load(csproj).Descendants("AssemblyName").FirstOrDefault()?.Value ?? project;
            Assert.Equal($"{assemblyName}.dll", entrypoint[1]);
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Build_Dockerfile_IsMultiStageNonRootWithoutHealthcheck(string service)
    {
        var dockerfile = Repo.Read(service, "Dockerfile");
        var froms = From().Matches(dockerfile).Select(m => m.Groups[1].Value).ToList();

        Assert.True(froms.Count >= 2, "multi-stage build expected");
        Assert.StartsWith("mcr.microsoft.com/dotnet/sdk:10.0", froms[0], StringComparison.Ordinal);
        Assert.StartsWith("mcr.microsoft.com/dotnet/aspnet:10.0", froms[^1], StringComparison.Ordinal);
        Assert.Matches(@"(?m)^RUN dotnet restore ", dockerfile);
        Assert.True(dockerfile.IndexOf("RUN dotnet restore", StringComparison.Ordinal) < dockerfile.LastIndexOf("COPY . .", StringComparison.Ordinal),
            "restore must run before the full source is copied, so its layer survives source edits");
        var runtimeStage = dockerfile[dockerfile.LastIndexOf("FROM ", StringComparison.Ordinal)..];
        Assert.Matches(@"(?m)^USER \$APP_UID\s*$", runtimeStage);
        Assert.DoesNotMatch(@"(?mi)^HEALTHCHECK", dockerfile);
    }

    [Fact]
    public void DockerIgnore_BuildOutputAndGit_AreExcluded()
    {
        var lines = Repo.Read(".dockerignore").Split('\n').Select(l => l.Trim()).ToHashSet();

        Assert.Contains("**/bin/", lines);
        Assert.Contains("**/obj/", lines);
        Assert.Contains(".git/", lines);
        Assert.DoesNotContain("db/", lines);
        Assert.DoesNotContain("contracts/", lines);
    }

    [GeneratedRegex(@"(?m)^ENTRYPOINT\s+(\[.*\])\s*$")]
    private static partial Regex Entrypoint();

    [GeneratedRegex(@"(?m)^FROM\s+(\S+)")]
    private static partial Regex From();
}
