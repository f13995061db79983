using TradeMaster.Contracts.Events;

namespace TradeMaster.Publishing;

internal static class EventOrdering
{
    /// <summary>
    /// Splits a batch by partition key (the store), keeping each store's events in their original order.
    /// Stores are independent streams: they may be sent concurrently, each one strictly in order.
    /// </summary>
    public static IEnumerable<IReadOnlyList<OutgoingEvent>> ByPartition(IReadOnlyList<OutgoingEvent> events)
    {
        var groups = new Dictionary<string, List<OutgoingEvent>>(StringComparer.Ordinal);
        var order = new List<List<OutgoingEvent>>();
        foreach (var e in events)
        {
            if (!groups.TryGetValue(e.PartitionKey, out var list))
            {
                list = [];
                groups[e.PartitionKey] = list;
                order.Add(list);
            }
            list.Add(e);
        }
        return order;
    }
}
