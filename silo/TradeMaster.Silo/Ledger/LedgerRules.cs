using System.Collections.Frozen;
using System.Collections.Immutable;
using TradeMaster.Contracts.Grains;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.MasterData;

namespace TradeMaster.Silo.Ledger;

/// <summary>
/// The pure business rules of the ledger: prices, caps, stock and late fees. No I/O, no clock: the store grain
/// feeds them what it knows, which keeps every rule unit-testable and the grain a thin orchestrator.
/// </summary>
public static class LedgerRules
{
    public static Refusal? CheckShape(ImmutableArray<LineRequest> lines, LedgerOptions options)
    {
        if (lines.IsDefaultOrEmpty)
        {
            return new Refusal(RefusalCodes.QuantityOutOfRange, "A transaction needs at least one line.");
        }
        if (lines.Length > options.MaxLinesPerTransaction)
        {
            return new Refusal(RefusalCodes.TooManyLines, $"At most {options.MaxLinesPerTransaction} lines per transaction.");
        }
        foreach (var line in lines)
        {
            if (line.Quantity < 1 || line.Quantity > options.MaxQuantityPerLine)
            {
                return new Refusal(RefusalCodes.QuantityOutOfRange,
                    $"Quantity must be between 1 and {options.MaxQuantityPerLine}.", line.ItemId);
            }
        }
        return null;
    }

    public static Refusal? CheckEmployee(EmployeeRecord? employee, int employeeId, int storeId) => employee switch
    {
        null => new Refusal(RefusalCodes.EmployeeUnknown, $"Employee {employeeId} does not exist."),
        { Active: false } => new Refusal(RefusalCodes.EmployeeInactive, $"Employee {employeeId} no longer works for the chain."),
        _ when employee.StoreId != storeId => new Refusal(RefusalCodes.EmployeeNotAtStore, $"Employee {employeeId} does not work at store {storeId}."),
        _ => null,
    };

    public static Refusal? CheckPayment(PaymentRequest payment)
    {
        if (!Enum.IsDefined(payment.Method))
        {
            return new Refusal(RefusalCodes.PaymentInvalid, "Unknown payment method.");
        }
        return payment.Installments switch
        {
            null or 1 => null,
            _ when payment.Method != PaymentMethod.CreditCard => new Refusal(RefusalCodes.PaymentInvalid, "Only credit card payments have installments."),
            < 1 or > 12 => new Refusal(RefusalCodes.PaymentInvalid, "Installments must be between 1 and 12."),
            _ => null,
        };
    }

    public static PaymentInfo Pay(PaymentRequest payment, decimal amount) =>
        new(payment.Method, payment.Installments ?? 1, amount);

    /// <summary>Catalog check and pricing of sale lines: unit price from the catalog, bulk discount per line.</summary>
    public static (ImmutableArray<ReceiptLine> Lines, Refusal? Refusal) PriceSale(
        ImmutableArray<LineRequest> lines, FrozenDictionary<int, ItemDetails> catalog, LedgerOptions options)
    {
        var priced = ImmutableArray.CreateBuilder<ReceiptLine>(lines.Length);
        foreach (var line in lines)
        {
            if (CheckItem(catalog, line.ItemId, rental: false) is { } refusal) return (default, refusal);
            var item = catalog[line.ItemId];
            var gross = item.SalePrice * line.Quantity;
            var discount = line.Quantity >= options.BulkDiscount.MinQuantity && options.BulkDiscount.MinQuantity > 0
                ? Money(gross * options.BulkDiscount.Percent / 100m)
                : 0m;
            priced.Add(new ReceiptLine(priced.Count + 1, item.ItemId, item.Title, item.MediaType, item.Genre, line.Quantity,
                item.SalePrice, discount, gross - discount, DailyPrice: null));
        }
        return (priced.MoveToImmutable(), null);
    }

    /// <summary>Rental lines: a copy costs its daily price × days, paid up front.</summary>
    public static (ImmutableArray<ReceiptLine> Lines, Refusal? Refusal) PriceRental(
        ImmutableArray<LineRequest> lines, int days, FrozenDictionary<int, ItemDetails> catalog)
    {
        var priced = ImmutableArray.CreateBuilder<ReceiptLine>(lines.Length);
        foreach (var line in lines)
        {
            if (CheckItem(catalog, line.ItemId, rental: true) is { } refusal) return (default, refusal);
            var item = catalog[line.ItemId];
            var unit = item.DailyRentalPrice * days;
            priced.Add(new ReceiptLine(priced.Count + 1, item.ItemId, item.Title, item.MediaType, item.Genre, line.Quantity,
                unit, 0m, unit * line.Quantity, item.DailyRentalPrice));
        }
        return (priced.MoveToImmutable(), null);
    }

    public static Refusal? CheckRentalDays(int days, LedgerOptions options) =>
        days < options.MinRentalDays || days > options.MaxRentalDays
            ? new Refusal(RefusalCodes.RentalPeriodOutOfRange, $"A rental lasts between {options.MinRentalDays} and {options.MaxRentalDays} days.")
            : null;

    /// <summary>Copies requested per item across all lines (the same title may appear on two lines).</summary>
    public static Dictionary<int, int> CopiesPerItem(ImmutableArray<LineRequest> lines)
    {
        var copies = new Dictionary<int, int>(lines.Length);
        foreach (var line in lines)
        {
            copies[line.ItemId] = copies.GetValueOrDefault(line.ItemId) + line.Quantity;
        }
        return copies;
    }

    public static Refusal? CheckSaleStock(Dictionary<int, int> copies, IReadOnlyDictionary<int, StockEntry> stock)
    {
        foreach (var (itemId, wanted) in copies)
        {
            var have = stock.TryGetValue(itemId, out var entry) ? entry.CopiesForSale : 0;
            if (have < wanted)
            {
                return new Refusal(RefusalCodes.InsufficientStock, $"Only {have} copies of item {itemId} for sale at this store.", itemId);
            }
        }
        return null;
    }

    public static Refusal? CheckRentalStock(Dictionary<int, int> copies, IReadOnlyDictionary<int, StockEntry> stock, IReadOnlyDictionary<int, int> held)
    {
        foreach (var (itemId, wanted) in copies)
        {
            var available = stock.TryGetValue(itemId, out var entry) ? entry.RentalCopiesOwned - entry.RentalCopiesOut : 0;
            available -= held.GetValueOrDefault(itemId);
            if (available < wanted)
            {
                return new Refusal(RefusalCodes.InsufficientRentalCopies,
                    $"Only {Math.Max(available, 0)} rental copies of item {itemId} available at this store.", itemId);
            }
        }
        return null;
    }

    /// <summary>Whole days past the due date, by the store's calendar, less the grace days.</summary>
    public static int LateDays(DateOnly dueDate, DateOnly returnedOn, LateFeePolicy policy) =>
        Math.Max(0, returnedOn.DayNumber - dueDate.DayNumber - policy.GraceDays);

    public static decimal LateFee(int lateDays, IEnumerable<RentalLineEntry> lines, LateFeePolicy policy)
    {
        var perDay = lines.Sum(l => l.DailyPrice * l.Quantity);
        var fee = Money(lateDays * perDay * policy.DailyMultiplier);
        return policy.Cap is { } cap ? Math.Min(fee, cap) : fee;
    }

    /// <summary>Return lines: the fee per copy (late days × daily price × multiplier), so lines add up to the fee.</summary>
    public static ImmutableArray<ReceiptLine> ReturnLines(ImmutableArray<RentalLineEntry> lines, int lateDays, decimal fee, LateFeePolicy policy)
    {
        var builder = ImmutableArray.CreateBuilder<ReceiptLine>(lines.Length);
        var uncapped = 0m;
        foreach (var line in lines)
        {
            var unit = Money(lateDays * line.DailyPrice * policy.DailyMultiplier);
            uncapped += unit * line.Quantity;
            builder.Add(new ReceiptLine(builder.Count + 1, line.ItemId, line.Title, line.MediaType, line.Genre, line.Quantity,
                unit, 0m, unit * line.Quantity, line.DailyPrice));
        }
        // A capped fee shows the cap as discounts, line by line, so the lines still add up to what is charged.
        var excess = uncapped - fee;
        for (var i = 0; i < builder.Count && excess > 0; i++)
        {
            var cut = Math.Min(excess, builder[i].LineTotal);
            builder[i] = builder[i] with { Discount = cut, LineTotal = builder[i].LineTotal - cut };
            excess -= cut;
        }
        return builder.MoveToImmutable();
    }

    public static decimal Money(decimal value) => Math.Round(value, 2, MidpointRounding.AwayFromZero);

    private static Refusal? CheckItem(FrozenDictionary<int, ItemDetails> catalog, int itemId, bool rental)
    {
        if (!catalog.TryGetValue(itemId, out var item))
        {
            return new Refusal(RefusalCodes.ItemUnknown, $"Item {itemId} is not in the catalog.", itemId);
        }
        if (!item.Active)
        {
            return new Refusal(RefusalCodes.ItemInactive, $"Item {itemId} left the catalog.", itemId);
        }
        if (rental && !item.Rentable)
        {
            return new Refusal(RefusalCodes.ItemNotRentable, $"Item {itemId} is not for rent.", itemId);
        }
        if (!rental && !item.Sellable)
        {
            return new Refusal(RefusalCodes.ItemNotSellable, $"Item {itemId} is not for sale.", itemId);
        }
        return null;
    }
}
