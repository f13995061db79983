using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;
using TradeMaster.Silo.Hosting;

namespace TradeMaster.Local;

public static class Banner
{
    public static void Print(LocalHost host)
    {
        var url = host.BaseAddress.ToString().TrimEnd('/');
        Console.WriteLine();
        Console.WriteLine("TradeMaster is running (embedded mode: silo + gateway + sink in one process)");
        Console.WriteLine($"  API                  {url}/api/v1");
        Console.WriteLine($"  API docs (Scalar)    {url}/scalar");
        Console.WriteLine($"  OpenAPI document     {url}/openapi/v1.json");
        Console.WriteLine($"  Orleans dashboard    {url}{SiloDashboard.RoutePrefix}");
        Console.WriteLine($"  Health               {url}/health/ready");
        Console.WriteLine($"  Lake                 {host.LakeDirectory}");
        Console.WriteLine("  Dev API keys (header X-Api-Key), one clerk and one manager per store:");
        foreach (var store in SeedDataGenerator.Generate().Stores)
        {
            Console.WriteLine($"    store {store.StoreId} {store.Name,-40} {SeedDataGenerator.DevApiKey(store.StoreId, EmployeeRole.Clerk)}  {SeedDataGenerator.DevApiKey(store.StoreId, EmployeeRole.Manager)}");
        }
        Console.WriteLine($"  Try: curl -H 'X-Api-Key: {SeedDataGenerator.DevApiKey(1, EmployeeRole.Clerk)}' {url}/api/v1/stores/1/stock/1");
        Console.WriteLine();
    }
}
