using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Silo.Ledger;

/// <summary>
/// A hash of what a request asked for, without its transaction id: a retry has the same fingerprint, a different
/// request reusing the id has another one and is refused as a conflict.
/// </summary>
public static class Fingerprint
{
    public static string Of(int storeId, SaleCommand command) =>
        Hash(new(storeId, "sale", command with { TransactionId = Guid.Empty }), FingerprintJsonContext.Default.FingerprintInputSaleCommand);

    public static string Of(int storeId, RentalCommand command) =>
        Hash(new(storeId, "rental", command with { TransactionId = Guid.Empty }), FingerprintJsonContext.Default.FingerprintInputRentalCommand);

    public static string Of(int storeId, ReturnCommand command) =>
        Hash(new(storeId, "return", command with { TransactionId = Guid.Empty }), FingerprintJsonContext.Default.FingerprintInputReturnCommand);

    public static string Of(int storeId, LateFeePaymentCommand command) =>
        Hash(new(storeId, "late_fee_payment", command with { TransactionId = Guid.Empty }),
            FingerprintJsonContext.Default.FingerprintInputLateFeePaymentCommand);

    private static string Hash<T>(FingerprintInput<T> value, JsonTypeInfo<FingerprintInput<T>> typeInfo) =>
        Convert.ToHexStringLower(SHA256.HashData(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo)));
}

/// <summary>
/// What is hashed, in the shape journals already hold: <c>{"storeId":…,"kind":…,"command":{…}}</c> with the web
/// defaults (camelCase, enums as numbers). It was an anonymous type serialized by reflection; the generated
/// serializer writes the same bytes (FingerprintTests pin them) without walking property metadata.
/// </summary>
internal sealed record FingerprintInput<TCommand>(int StoreId, string Kind, TCommand Command);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(FingerprintInput<SaleCommand>))]
[JsonSerializable(typeof(FingerprintInput<RentalCommand>))]
[JsonSerializable(typeof(FingerprintInput<ReturnCommand>))]
[JsonSerializable(typeof(FingerprintInput<LateFeePaymentCommand>))]
internal sealed partial class FingerprintJsonContext : JsonSerializerContext;
