namespace TradeMaster.Contracts.Ledger;

/// <summary>What a ledger transaction does; also the root of its event type.</summary>
public enum TransactionKind
{
    Sale = 0,
    Rental = 1,
    Return = 2,
    /// <summary>A late fee left owed by a return, paid afterwards at the store that took the return.</summary>
    LateFeePayment = 3,
}

public enum MediaType
{
    Book = 0,
    Movie = 1,
    SeriesDvd = 2,
}

public enum PaymentMethod
{
    Cash = 0,
    DebitCard = 1,
    CreditCard = 2,
    Pix = 3,
}

public enum EmployeeRole
{
    Clerk = 0,
    Manager = 1,
}

/// <summary>Wire names shared by the database, the API and the events, so the three never drift.</summary>
public static class WireNames
{
    public static string Of(TransactionKind kind) => kind switch
    {
        TransactionKind.Sale => "sale",
        TransactionKind.Rental => "rental",
        TransactionKind.Return => "return",
        TransactionKind.LateFeePayment => "late_fee_payment",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string Of(MediaType type) => type switch
    {
        MediaType.Book => "book",
        MediaType.Movie => "movie",
        MediaType.SeriesDvd => "series_dvd",
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static string Of(PaymentMethod method) => method switch
    {
        PaymentMethod.Cash => "cash",
        PaymentMethod.DebitCard => "debit_card",
        PaymentMethod.CreditCard => "credit_card",
        PaymentMethod.Pix => "pix",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    public static string Of(EmployeeRole role) => role switch
    {
        EmployeeRole.Clerk => "clerk",
        EmployeeRole.Manager => "manager",
        _ => throw new ArgumentOutOfRangeException(nameof(role)),
    };

    public static bool TryParseMediaType(string? value, out MediaType type)
    {
        switch (value)
        {
            case "book": type = MediaType.Book; return true;
            case "movie": type = MediaType.Movie; return true;
            case "series_dvd": type = MediaType.SeriesDvd; return true;
            default: type = default; return false;
        }
    }

    public static bool TryParsePaymentMethod(string? value, out PaymentMethod method)
    {
        switch (value)
        {
            case "cash": method = PaymentMethod.Cash; return true;
            case "debit_card": method = PaymentMethod.DebitCard; return true;
            case "credit_card": method = PaymentMethod.CreditCard; return true;
            case "pix": method = PaymentMethod.Pix; return true;
            default: method = default; return false;
        }
    }

    public static bool TryParseRole(string? value, out EmployeeRole role)
    {
        switch (value)
        {
            case "clerk": role = EmployeeRole.Clerk; return true;
            case "manager": role = EmployeeRole.Manager; return true;
            default: role = default; return false;
        }
    }
}
