using System.Text.RegularExpressions;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Silo.Tests;

public sealed partial class RefusalCodeDocumentationTests
{
    [Fact]
    public void RefusalCodesPage_ListsExactlyTheLedgersCodes()
    {
        var page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "refusal-codes.md"));

        var documented = TableCode().Matches(page).Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(RefusalCodes.All.Order(), documented.Order());
    }

    [Theory]
    [InlineData(RefusalCodes.StoreUnknown, "404")]
    [InlineData(RefusalCodes.RentalUnknown, "404")]
    [InlineData(RefusalCodes.TransactionIdConflict, "409")]
    [InlineData(RefusalCodes.InsufficientStock, "422")]
    public void RefusalCodesPage_StatusColumn_MatchesTheGatewayMapping(string code, string status)
    {
        var page = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "refusal-codes.md"));
        Assert.Contains($"| `{code}` | {status} |", page, StringComparison.Ordinal);
        Assert.Equal(status == "404", RefusalCodes.IsNotFound(code));
        Assert.Equal(int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), RefusalCodes.HttpStatus(code));
    }

    internal static string RepositoryRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "TradeMaster.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Repository root not found.");
    }

    [GeneratedRegex(@"^\| `([a-z_]+)` \|", RegexOptions.Multiline)]
    private static partial Regex TableCode();
}
