using System.Security.Cryptography;
using System.Text.Json;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Silo.Ledger;

/// <summary>
/// A hash of what a request asked for, without its transaction id: a retry has the same fingerprint, a different
/// request reusing the id has another one and is refused as a conflict.
/// </summary>
public static class Fingerprint
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static string Of(int storeId, SaleCommand command) => Hash(new { storeId, kind = "sale", command = command with { TransactionId = Guid.Empty } });

    public static string Of(int storeId, RentalCommand command) => Hash(new { storeId, kind = "rental", command = command with { TransactionId = Guid.Empty } });

    public static string Of(int storeId, ReturnCommand command) => Hash(new { storeId, kind = "return", command = command with { TransactionId = Guid.Empty } });

    public static string Of(int storeId, LateFeePaymentCommand command) =>
        Hash(new { storeId, kind = "late_fee_payment", command = command with { TransactionId = Guid.Empty } });

    private static string Hash<T>(T value) => Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, Options)));
}
