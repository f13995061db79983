using TradeMaster.Contracts.Events;

namespace TradeMaster.Events.Tests;

/// <summary>Realistic event data, built the way the ledger builds it.</summary>
internal static class SampleEvents
{
    public const string CustomerKey = "3f1c2a9be0d84f7aa1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718";

    public static StoreRef Store(int id = 7) => new(id, "TradeMaster Pinheiros", "São Paulo", "SP", "America/Sao_Paulo");

    public static TransactionData Sale(bool withCustomer = true, string method = "credit_card", int installments = 3) => new(
        TransactionId: Guid.Parse("0b6e4a52-7c1d-4d0e-9a43-2f4f5b1c9d11"),
        TransactionType: "sale",
        OccurredAt: new DateTimeOffset(2025, 3, 14, 18, 22, 5, 123, TimeSpan.Zero),
        LocalDate: new DateOnly(2025, 3, 14),
        Store: Store(),
        Employee: new EmployeeRef(71, "clerk"),
        Customer: withCustomer ? new CustomerRef(CustomerKey) : null,
        Currency: "BRL",
        Lines:
        [
            new EventLine(1, 1042, "Dom Casmurro", "book", "Romance", 2, 39.90m, 0m, 79.80m),
            new EventLine(2, 2311, "Cidade de Deus", "movie", "Drama", 1, 29.90m, 5.00m, 24.90m),
        ],
        Total: 104.70m,
        Payment: new EventPayment(method, installments, 104.70m),
        Rental: null,
        Return: null);

    public static TransactionData Rental() => new(
        TransactionId: Guid.Parse("5d2f8c0e-1b7a-4e3c-8f60-9a1d2b3c4e5f"),
        TransactionType: "rental",
        OccurredAt: new DateTimeOffset(2025, 3, 14, 20, 5, 0, TimeSpan.Zero),
        LocalDate: new DateOnly(2025, 3, 14),
        Store: Store(),
        Employee: new EmployeeRef(72, "manager"),
        Customer: new CustomerRef(CustomerKey),
        Currency: "BRL",
        Lines:
        [
            new EventLine(1, 3007, "Breaking Bad - 1ª Temporada", "series_dvd", "Drama", 1, 20.97m, 0m, 20.97m, DailyPrice: 6.99m),
            new EventLine(2, 2311, "Cidade de Deus", "movie", "Drama", 1, 14.97m, 0m, 14.97m, DailyPrice: 4.99m),
        ],
        Total: 35.94m,
        Payment: new EventPayment("pix", 1, 35.94m),
        Rental: new RentalDetails(Guid.Parse("5d2f8c0e-1b7a-4e3c-8f60-9a1d2b3c4e5f"), 3, new DateOnly(2025, 3, 14), new DateOnly(2025, 3, 17)),
        Return: null);

    public static TransactionData Return(bool feePaid = true) => new(
        TransactionId: Guid.Parse("9e8d7c6b-5a49-4382-b716-05f4e3d2c1b0"),
        TransactionType: "return",
        OccurredAt: new DateTimeOffset(2025, 3, 19, 14, 30, 0, TimeSpan.Zero),
        LocalDate: new DateOnly(2025, 3, 19),
        Store: Store(),
        Employee: new EmployeeRef(71, "clerk"),
        Customer: new CustomerRef(CustomerKey),
        Currency: "BRL",
        Lines:
        [
            new EventLine(1, 3007, "Breaking Bad - 1ª Temporada", "series_dvd", "Drama", 1, 13.98m, 0m, 13.98m, DailyPrice: 6.99m),
            new EventLine(2, 2311, "Cidade de Deus", "movie", "Drama", 1, 9.98m, 0m, 9.98m, DailyPrice: 4.99m),
        ],
        Total: 23.96m,
        Payment: feePaid ? new EventPayment("debit_card", 1, 23.96m) : null,
        Rental: null,
        Return: new ReturnDetails(
            RentalId: Guid.Parse("5d2f8c0e-1b7a-4e3c-8f60-9a1d2b3c4e5f"),
            RentalStartedAt: new DateTimeOffset(2025, 3, 14, 20, 5, 0, TimeSpan.Zero),
            DueDate: new DateOnly(2025, 3, 17),
            ReturnedAt: new DateTimeOffset(2025, 3, 19, 14, 29, 12, TimeSpan.Zero),
            LateDays: 2,
            LateFee: 23.96m,
            FeePaid: feePaid));

    public static RefusedTransactionData Refused(bool withCustomer = true) => new(
        TransactionId: Guid.Parse("c4b3a291-8f7e-4d6c-9b5a-4f3e2d1c0b9a"),
        AttemptedType: "rental",
        OccurredAt: new DateTimeOffset(2025, 3, 15, 13, 0, 42, TimeSpan.Zero),
        LocalDate: new DateOnly(2025, 3, 15),
        Store: Store(),
        Employee: new EmployeeRef(71, "clerk"),
        Customer: withCustomer ? new CustomerRef(CustomerKey) : null,
        Refusal: new RefusalDetails("insufficient_rental_copies", "No rental copy of item 3007 is available at this store.", 3007),
        Lines: [new RequestedLine(3007, 1, "Breaking Bad - 1ª Temporada", "series_dvd", "Drama"), new RequestedLine(999999, 1, null, null, null)],
        RentalId: null,
        Days: 3);
}
