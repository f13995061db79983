using System.Text.Json;
using System.Text.Json.Serialization;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Silo.History;

/// <summary>
/// The stored answer's serializer, generated at build time with the web defaults it was always written with
/// (every commit writes one per transaction). The bytes are those the reflection serializer wrote into the
/// journals that exist; a test holds them so.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(TransactionOutcome))]
internal sealed partial class OutcomeJsonContext : JsonSerializerContext;
