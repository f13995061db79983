using NJsonSchema;
using TradeMaster.Contracts.Events;

namespace TradeMaster.Events.Tests;

/// <summary>Finds the files the tests read from the work tree: the schemas and docs are the contract, not copies.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string SchemasDirectory => Path.Combine(Root, "contracts", "TradeMaster.Contracts", "Schemas");

    public static string SchemaPath(string type) => Path.Combine(SchemasDirectory, EventTypes.SchemaFileName(type));

    public static Task<JsonSchema> SchemaAsync(string type) => JsonSchema.FromFileAsync(SchemaPath(type));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Directory.Build.props")) && Directory.Exists(Path.Combine(dir.FullName, "contracts"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No repository root (Directory.Build.props beside contracts/) above {AppContext.BaseDirectory}.");
    }
}
