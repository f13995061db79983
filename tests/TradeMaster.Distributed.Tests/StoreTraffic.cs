using System.Globalization;
using System.Net;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Npgsql;

namespace TradeMaster.Distributed.Tests;

public sealed record SaleLine(int ItemId, int Quantity);

/// <summary>A transaction the test will send, with the id it keeps across retries.</summary>
public sealed record PlannedTransaction(Guid TransactionId, int StoreId, string Kind, string Path, string Body, IReadOnlyList<SaleLine> Lines)
{
    public string ApiKey => $"tm-dev-store{StoreId.ToString(CultureInfo.InvariantCulture)}-clerk";
}

/// <summary>The final answer to a planned transaction (Status 0: no answer before the deadline).</summary>
public sealed record TransactionResult(PlannedTransaction Planned, int Status, string? Code, Guid? EventId, int Attempts, string? LastFailure)
{
    public bool Accepted => Status == 201;
}

/// <summary>
/// Store traffic built from the seeded database: sales and rentals by each store's own clerk, plus refusals
/// that do not depend on timing (a quantity no store holds, an employee of another store), sent concurrently
/// over HTTP. A request without an answer (transport error, timeout, 5xx) is sent again with the same
/// transaction id until the ledger answers, which is what makes a retry safe.
/// </summary>
public static class StoreTraffic
{
    public static async Task<IReadOnlyList<PlannedTransaction>> PlanAsync(string connectionString, int count, int seed)
    {
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        var stores = await ListAsync(dataSource, "select store_id from stores where active order by store_id", r => r.GetInt32(0));
        var clerks = (await ListAsync(dataSource,
            "select store_id, min(employee_id) from employees where active group by store_id", r => (Store: r.GetInt32(0), Employee: r.GetInt32(1))))
            .ToDictionary(x => x.Store, x => x.Employee);
        var sellable = (await ListAsync(dataSource,
            """
            select s.store_id, s.item_id from stock s join catalog_items i using (item_id)
            where i.active and i.sellable and s.copies_for_sale > 0 order by s.store_id, s.copies_for_sale desc, s.item_id
            """, r => (Store: r.GetInt32(0), Item: r.GetInt32(1)))).ToLookup(x => x.Store, x => x.Item);
        var scarce = (await ListAsync(dataSource,
            """
            select s.store_id, s.item_id from stock s join catalog_items i using (item_id)
            where i.active and i.sellable order by s.store_id, s.copies_for_sale, s.item_id
            """, r => (Store: r.GetInt32(0), Item: r.GetInt32(1)))).ToLookup(x => x.Store, x => x.Item);
        var rentable = (await ListAsync(dataSource,
            """
            select s.store_id, s.item_id from stock s join catalog_items i using (item_id)
            where i.active and i.rentable and s.rental_copies_owned > s.rental_copies_out
            order by s.store_id, s.rental_copies_owned - s.rental_copies_out desc, s.item_id
            """, r => (Store: r.GetInt32(0), Item: r.GetInt32(1)))).ToLookup(x => x.Store, x => x.Item);
        var customers = await ListAsync(dataSource, "select customer_id from customers where active order by customer_id", r => r.GetInt32(0));

        var random = new Random(seed);
        var plan = new List<PlannedTransaction>(count);
        var nextCustomer = 0;
        for (var i = 0; i < count; i++)
        {
            var store = stores[i % stores.Count];
            var employee = clerks[store];
            var id = Guid.NewGuid();
            var roll = random.Next(100);
            if (roll < 55)
            {
                // A few items per store, so sales of the same item race each other across requests.
                var items = sellable[store].Take(8).ToArray();
                var lines = Enumerable.Range(0, random.Next(1, 3)).Select(_ => items[random.Next(items.Length)]).Distinct()
                    .Select(item => new SaleLine(item, random.Next(1, 3))).ToList();
                plan.Add(Sale(id, store, employee, lines));
            }
            else if (roll < 85)
            {
                // One rental per customer keeps the rental limit out of the picture.
                var items = rentable[store].Take(8).ToArray();
                var line = new SaleLine(items[random.Next(items.Length)], 1);
                var customer = customers[nextCustomer++ % customers.Count];
                var body = JsonSerializer.Serialize(new
                {
                    transactionId = id,
                    employeeId = employee,
                    customerId = customer,
                    lines = new[] { new { itemId = line.ItemId, quantity = line.Quantity } },
                    days = random.Next(1, 8),
                    payment = new { method = "pix" },
                });
                plan.Add(new PlannedTransaction(id, store, "rental", $"/api/v1/stores/{store}/rentals", body, [line]));
            }
            else if (roll < 93)
            {
                // More copies than the store has of an item nobody else buys here: insufficient_stock.
                var item = scarce[store].First(); // the seed holds at most 25 copies of anything
                plan.Add(Sale(id, store, employee, [new SaleLine(item, 99)]));
            }
            else
            {
                // A clerk of another store: employee_not_at_store.
                var other = clerks[stores[(stores.IndexOf(store) + 1) % stores.Count]];
                plan.Add(Sale(id, store, other, [new SaleLine(sellable[store].First(), 1)]));
            }
        }
        return plan;
    }

    /// <summary>Sends the plan with <paramref name="concurrency"/> requests in flight; <paramref name="completed"/> counts final answers.</summary>
    public static async Task<IReadOnlyList<TransactionResult>> RunAsync(
        Uri gateway, IReadOnlyList<PlannedTransaction> plan, int concurrency, StrongBox<int> completed, TimeSpan perTransactionDeadline)
    {
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) })
        {
            BaseAddress = gateway,
            Timeout = TimeSpan.FromSeconds(15), // per attempt: a call stuck on a dead silo is retried
        };
        var results = new TransactionResult[plan.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, plan.Count), new ParallelOptions { MaxDegreeOfParallelism = concurrency }, async (i, _) =>
        {
            results[i] = await SendUntilAnsweredAsync(http, plan[i], perTransactionDeadline);
            Interlocked.Increment(ref completed.Value);
        });
        return results;
    }

    public static async Task<JsonElement> GetJsonAsync(Uri gateway, int storeId, string path)
    {
        using var http = new HttpClient { BaseAddress = gateway, Timeout = TimeSpan.FromSeconds(30) };
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Api-Key", $"tm-dev-store{storeId.ToString(CultureInfo.InvariantCulture)}-clerk");
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        if (response.StatusCode != HttpStatusCode.OK) throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static PlannedTransaction Sale(Guid id, int store, int employee, IReadOnlyList<SaleLine> lines)
    {
        var body = JsonSerializer.Serialize(new
        {
            transactionId = id,
            employeeId = employee,
            lines = lines.Select(l => new { itemId = l.ItemId, quantity = l.Quantity }),
            payment = new { method = "cash" },
        });
        return new PlannedTransaction(id, store, "sale", $"/api/v1/stores/{store}/sales", body, lines);
    }

    private static async Task<TransactionResult> SendUntilAnsweredAsync(HttpClient http, PlannedTransaction planned, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        string? failure = null;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, planned.Path)
                {
                    Content = new StringContent(planned.Body, Encoding.UTF8, "application/json"),
                };
                request.Headers.Add("X-Api-Key", planned.ApiKey);
                using var response = await http.SendAsync(request);
                var status = (int)response.StatusCode;
                var body = await response.Content.ReadAsStringAsync();
                if (status < 500)
                {
                    using var document = JsonDocument.Parse(body);
                    var root = document.RootElement;
                    var code = root.TryGetProperty("code", out var c) ? c.GetString() : null;
                    Guid? eventId = root.TryGetProperty("eventId", out var e) ? e.GetGuid() : null;
                    return new TransactionResult(planned, status, code, eventId, attempt, failure);
                }
                failure = $"HTTP {status}: {body}";
            }
            catch (HttpRequestException e)
            {
                failure = e.Message;
            }
            catch (TaskCanceledException)
            {
                failure = "timeout";
            }
            if (DateTime.UtcNow > until) return new TransactionResult(planned, 0, null, null, attempt, failure);
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(2000, 100 * Math.Pow(2, Math.Min(attempt, 5)))));
        }
    }

    private static async Task<List<T>> ListAsync<T>(NpgsqlDataSource dataSource, string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var command = dataSource.CreateCommand(sql);
        await using var reader = await command.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync()) rows.Add(read(reader));
        return rows;
    }
}
