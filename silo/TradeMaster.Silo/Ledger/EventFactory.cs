using System.Collections.Immutable;
using System.Diagnostics;
using TradeMaster.Contracts.Events;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Ledger;

/// <summary>Turns what the ledger recorded into the CloudEvent the owner's analysts receive.</summary>
public static class EventFactory
{
    public const string Currency = "BRL";

    public static StoreRef StoreRef(StoreRecord store) => new(store.StoreId, store.Name, store.City, store.State, store.Timezone);

    public static (string Type, byte[] Json) Accepted(Receipt receipt, StoreRecord store, EmployeeRecord employee, string? customerKey)
    {
        var type = EventTypes.ForAccepted(receipt.Kind);
        var data = new TransactionData(
            TransactionId: receipt.TransactionId,
            TransactionType: WireNames.Of(receipt.Kind),
            OccurredAt: receipt.OccurredAt,
            LocalDate: receipt.LocalDate,
            Store: StoreRef(store),
            Employee: new EmployeeRef(employee.EmployeeId, WireNames.Of(employee.Role)),
            Customer: customerKey is null ? null : new CustomerRef(customerKey),
            Currency: Currency,
            Lines: receipt.Lines.Select(l => new EventLine(l.LineNumber, l.ItemId, l.Title, WireNames.Of(l.MediaType), l.Genre,
                l.Quantity, l.UnitPrice, l.Discount, l.LineTotal, l.DailyPrice)).ToList(),
            Total: receipt.Total,
            Payment: receipt.Payment is { } p ? new EventPayment(WireNames.Of(p.Method), p.Installments, p.Amount) : null,
            Rental: receipt.Rental is { } r ? new RentalDetails(r.RentalId, r.Days, r.StartDate, r.DueDate) : null,
            Return: receipt.Return is { } x
                ? new ReturnDetails(x.RentalId, x.RentalStartedAt, x.DueDate, x.ReturnedAt, x.LateDays, x.LateFee, x.FeePaid)
                : null);
        return (type, EventJson.Serialize(receipt.EventId, type, store.StoreId, receipt.OccurredAt, data, Activity.Current?.Id));
    }

    public static (string Type, byte[] Json) Refused(
        Guid eventId, Guid transactionId, TransactionKind kind, DateTimeOffset occurredAt, StoreRecord store,
        EmployeeRecord? employee, string? customerKey, Refusal refusal, ImmutableArray<LineRequest> lines,
        IReadOnlyDictionary<int, Contracts.Grains.ItemDetails> catalog, Guid? rentalId, int? days)
    {
        var data = new RefusedTransactionData(
            TransactionId: transactionId,
            AttemptedType: WireNames.Of(kind),
            OccurredAt: occurredAt,
            LocalDate: store.LocalDate(occurredAt),
            Store: StoreRef(store),
            Employee: employee is null ? null : new EmployeeRef(employee.EmployeeId, WireNames.Of(employee.Role)),
            Customer: customerKey is null ? null : new CustomerRef(customerKey),
            Refusal: new RefusalDetails(refusal.Code, refusal.Message, refusal.ItemId),
            Lines: (lines.IsDefault ? [] : lines).Select(l =>
            {
                catalog.TryGetValue(l.ItemId, out var item);
                return new RequestedLine(l.ItemId, l.Quantity, item?.Title, item is null ? null : WireNames.Of(item.MediaType), item?.Genre);
            }).ToList(),
            RentalId: rentalId,
            Days: days);
        return (EventTypes.TransactionRefused, EventJson.Serialize(eventId, EventTypes.TransactionRefused, store.StoreId, occurredAt, data, Activity.Current?.Id));
    }
}
