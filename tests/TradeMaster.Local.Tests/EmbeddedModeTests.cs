using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace TradeMaster.Local.Tests;

/// <summary>
/// Command 1 of the README, end to end: the real program, as a separate process, from an empty data folder.
/// </summary>
public sealed class EmbeddedModeTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), $"tm-local-{Guid.NewGuid():N}");

    [Fact]
    public async Task Simulate_FromEmptyDataFolderThenAgain_LakeMatchesTheSummariesWithoutDuplicatesAndRentalsSurvive()
    {
        // First run: creates PostgreSQL, migrates, seeds, simulates, waits for the lake, exits.
        var first = await RunSimulationAsync(160);
        AssertLakeMatchesSummary(first);
        Assert.True(first.GetProperty("summary").GetProperty("accepted").GetProperty("rental").GetInt32() > 0);

        // Between runs: a rental the first run left open must still be open for the second.
        var openRental = FirstOpenRental();

        // Second run on the same data folder: same database, stock and open rentals; the lake only grows.
        var second = await RunSimulationAsync(60);
        AssertLakeMatchesSummary(second);

        var eventIds = new List<string>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_data, "lake", "transactions"), "*.ndjson", SearchOption.AllDirectories))
        {
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                using var row = JsonDocument.Parse(line);
                eventIds.Add(row.RootElement.GetProperty("event_id").GetString()!);
            }
        }
        Assert.Equal(eventIds.Count, eventIds.Distinct().Count());
        Assert.Equal(Total(first) + Total(second), eventIds.Count);

        // Third start, in-process: the rental left open by the first run can still be returned.
        if (openRental is { } rental)
        {
            await using var host = await LocalHost.StartAsync([$"--Local:DataDirectory={_data}", $"--urls=http://127.0.0.1:{FreePort()}"]);
            using var http = new HttpClient { BaseAddress = host.BaseAddress };
            http.DefaultRequestHeaders.Add("X-Api-Key", $"tm-dev-store{rental.StoreId}-clerk");
            var response = await http.PostAsJsonAsync($"api/v1/stores/{rental.StoreId}/returns", new { employeeId = rental.EmployeeId, rentalId = rental.RentalId });
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        }
    }

    private async Task<JsonElement> RunSimulationAsync(int transactions)
    {
        var dll = typeof(LocalHost).Assembly.Location;
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { dll, "--simulate", transactions.ToString(System.Globalization.CultureInfo.InvariantCulture),
                     $"--Local:DataDirectory={_data}", $"--urls=http://127.0.0.1:{FreePort()}" })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var log = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (log) log.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }
        finally
        {
            lock (log) output.WriteLine(log.ToString());
        }
        Assert.Equal(0, process.ExitCode);
        lock (log)
        {
            Assert.Contains("Dev API keys", log.ToString(), StringComparison.Ordinal);
            Assert.Contains("/dashboard", log.ToString(), StringComparison.Ordinal);
        }
        return JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_data, "last-simulation.json"))).RootElement.Clone();
    }

    private static void AssertLakeMatchesSummary(JsonElement report)
    {
        var summary = report.GetProperty("summary");
        var lake = report.GetProperty("lake");
        var types = lake.GetProperty("transactions");
        int Events(string type) => types.TryGetProperty(type, out var n) ? n.GetInt32() : 0;
        int Accepted(string kind) => summary.GetProperty("accepted").TryGetProperty(kind, out var n) ? n.GetInt32() : 0;

        Assert.Equal(0, summary.GetProperty("errors").EnumerateObject().Sum(e => e.Value.GetInt32()));
        Assert.Equal(Accepted("sale"), Events("com.trademaster.sale.completed.v1"));
        Assert.Equal(Accepted("rental"), Events("com.trademaster.rental.started.v1"));
        Assert.Equal(Accepted("return"), Events("com.trademaster.rental.returned.v1"));
        Assert.Equal(Accepted("late_fee_payment"), Events("com.trademaster.late_fee.paid.v1"));
        Assert.Equal(summary.GetProperty("refused").EnumerateObject().Sum(e => e.Value.GetInt32()), Events("com.trademaster.transaction.refused.v1"));
        Assert.Equal(summary.GetProperty("malformedEvents").GetInt32(), lake.GetProperty("rejected").GetInt32());
        Assert.True(Accepted("sale") > 0);
        // Which requests are malformed depends on the seed alone (TrafficMix), so this holds on every run: with the
        // default seed the first 60 requests hold 4 malformed events, the first 160 hold 8.
        Assert.True(lake.GetProperty("rejected").GetInt32() > 0, "the simulation sends some malformed events");
    }

    private static int Total(JsonElement report) =>
        report.GetProperty("lake").GetProperty("transactions").EnumerateObject().Sum(t => t.Value.GetInt32());

    private sealed record OpenRental(int StoreId, int EmployeeId, Guid RentalId);

    /// <summary>An open rental from the lake (the first run's rental.started events minus its returns).</summary>
    private OpenRental? FirstOpenRental()
    {
        var started = new Dictionary<Guid, OpenRental>();
        var returned = new HashSet<Guid>();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(_data, "lake", "transactions"), "*.ndjson", SearchOption.AllDirectories))
        {
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                using var row = JsonDocument.Parse(line);
                var r = row.RootElement;
                if (r.TryGetProperty("rental_id", out var id) && id.ValueKind == JsonValueKind.String)
                {
                    var rentalId = id.GetGuid();
                    if (file.Contains("rental.started", StringComparison.Ordinal))
                    {
                        started[rentalId] = new OpenRental(r.GetProperty("store_id").GetInt32(), r.GetProperty("employee_id").GetInt32(), rentalId);
                    }
                    else if (file.Contains("rental.returned", StringComparison.Ordinal))
                    {
                        returned.Add(rentalId);
                    }
                }
            }
        }
        return started.Values.FirstOrDefault(r => !returned.Contains(r.RentalId));
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public void Dispose()
    {
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
