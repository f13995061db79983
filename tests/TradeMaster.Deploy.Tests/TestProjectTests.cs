using System.Xml.Linq;

namespace TradeMaster.Deploy.Tests;

/// <summary>The test projects themselves: what `./test.sh` relies on to leave nothing running behind it.</summary>
public sealed class TestProjectTests
{
    public static TheoryData<string> ProjectsUsingTheTestingLibrary()
    {
        var projects = new TheoryData<string>();
        foreach (var csproj in Directory.EnumerateFiles(Repo.PathOf("tests"), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var references = XDocument.Load(csproj).Descendants("ProjectReference").Select(r => (string?)r.Attribute("Include") ?? "");
            if (references.Any(r => r.EndsWith("TradeMaster.Testing.csproj", StringComparison.Ordinal))) projects.Add(Path.GetFileNameWithoutExtension(csproj));
        }
        return projects;
    }

    [Fact]
    public void TheTestingLibrary_IsUsedByTheTestProjects() => Assert.True(ProjectsUsingTheTestingLibrary().Count >= 8);

    /// <summary>
    /// Without the framework, `dotnet test` kills the test host 100 ms after its last result, before the process-exit
    /// handler has stopped the run's PostgreSQL: the server and its data directory outlive the run.
    /// </summary>
    [Theory]
    [MemberData(nameof(ProjectsUsingTheTestingLibrary))]
    public void TestProject_UsingTheTestingLibrary_RegistersTheFrameworkThatStopsPostgres(string project)
    {
        var sources = Directory.EnumerateFiles(Repo.PathOf("tests", project), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

        Assert.Contains(sources, f => File.ReadAllText(f).Contains(
            "[assembly: Xunit.TestFramework(TradeMaster.Testing.TestRunFramework.TypeName, TradeMaster.Testing.TestRunFramework.AssemblyName)]",
            StringComparison.Ordinal));
    }
}
