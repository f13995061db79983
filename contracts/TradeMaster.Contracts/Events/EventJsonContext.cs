using System.Text.Json;
using System.Text.Json.Serialization;

namespace TradeMaster.Contracts.Events;

/// <summary>
/// The event data types' serializers, generated at build time with <see cref="EventJson.Options"/>' settings, so
/// writing an event's data is straight-line code instead of the reflection-built converters' walk over property
/// metadata (that walk was most of building an event, docs/performance-log.md). The bytes are the same: a test holds
/// them to the reflection serializer's on every event type.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TransactionData))]
[JsonSerializable(typeof(RefusedTransactionData))]
internal sealed partial class EventJsonContext : JsonSerializerContext;
