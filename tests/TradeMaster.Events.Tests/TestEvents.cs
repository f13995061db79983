using System.Text;
using System.Text.Json;
using NJsonSchema;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Events.Tests;

/// <summary>Complete outgoing CloudEvents, as the ledger's outbox hands them to a publisher.</summary>
internal static class TestEvents
{
    private static readonly Guid TestNamespace = new("2b0c6a4e-8d1f-4f7e-9c3a-5e6d7f8a9b0c");

    /// <summary>The <paramref name="sequence"/>-th event of a store; the four types take turns.</summary>
    public static OutgoingEvent Outgoing(int storeId, int sequence, string run = "")
    {
        var transactionId = EventIds.NameBased(TestNamespace, $"{run}:{storeId}:{sequence}");
        var store = SampleEvents.Store(storeId);
        var time = new DateTimeOffset(2025, 3, 14, 12, 0, 0, TimeSpan.Zero).AddSeconds(sequence);
        var traceParent = $"00-{Convert.ToHexStringLower(transactionId.ToByteArray())}-{sequence + 1:x16}-01";
        return (sequence % 4) switch
        {
            0 => Make(TransactionKind.Sale, true, EventTypes.SaleCompleted, SampleEvents.Sale() with { TransactionId = transactionId, Store = store, OccurredAt = time }),
            1 => Make(TransactionKind.Rental, true, EventTypes.RentalStarted, SampleEvents.Rental() with { TransactionId = transactionId, Store = store, OccurredAt = time }),
            2 => Make(TransactionKind.Return, true, EventTypes.RentalReturned, SampleEvents.Return() with { TransactionId = transactionId, Store = store, OccurredAt = time }),
            _ => Make(TransactionKind.Sale, false, EventTypes.TransactionRefused, SampleEvents.Refused() with { TransactionId = transactionId, Store = store, OccurredAt = time }),
        };

        OutgoingEvent Make<T>(TransactionKind kind, bool accepted, string type, T data)
        {
            var eventId = EventIds.For(storeId, transactionId, kind, accepted);
            return new OutgoingEvent(eventId.ToString("D"), type, storeId, EventJson.Serialize(eventId, type, storeId, time, data, traceParent));
        }
    }

    public static List<OutgoingEvent> ForStores(int perStore, string run, params int[] stores)
    {
        var events = new List<OutgoingEvent>();
        for (var i = 0; i < perStore; i++)
        {
            foreach (var store in stores) events.Add(Outgoing(store, i, run));
        }
        return events;
    }

    public static async Task<IReadOnlyList<string>> SchemaErrorsAsync(string type, string dataJson)
    {
        var schema = await JsonSchema.FromFileAsync(Repo.SchemaPath(type));
        return schema.Validate(dataJson).Select(e => $"{e.Path}: {e.Kind}").ToList();
    }

    public static string Text(ReadOnlyMemory<byte> utf8) => Encoding.UTF8.GetString(utf8.Span);

    public static JsonElement Envelope(OutgoingEvent e) => JsonDocument.Parse(e.Json).RootElement.Clone();
}
