using TradeMaster.Contracts.Ledger;
using TradeMaster.Silo.Ledger;

namespace TradeMaster.Silo.Tests;

/// <summary>
/// The journal keeps every request fingerprint, and a retry after a restart is matched against the stored one: the
/// bytes hashed must never change, whatever the serializer or the command records become.
/// </summary>
public sealed class FingerprintTests
{
    private static readonly DateTimeOffset Started = new(2026, 11, 20, 9, 30, 15, 123, TimeSpan.FromHours(-3));

    [Fact]
    public void Of_Sale_IsTheValueJournalsAlreadyHold()
    {
        var command = new SaleCommand(Guid.NewGuid(), 17, 42, [new LineRequest(3, 1)], new PaymentRequest(PaymentMethod.CreditCard, 3));

        // SHA-256 of {"storeId":1,"kind":"sale","command":{"transactionId":"00000000-0000-0000-0000-000000000000",
        // "employeeId":17,"customerId":42,"lines":[{"itemId":3,"quantity":1}],"payment":{"method":2,"installments":3}}}
        Assert.Equal("84189f4c097656bee13ffe0d27e6f79a97542290eadf80147df87723780d6344", Fingerprint.Of(1, command));
    }

    [Fact]
    public void Of_RentalAndReturn_AreTheValuesJournalsAlreadyHold()
    {
        var rental = new RentalCommand(Guid.NewGuid(), 4, 99, [new LineRequest(8, 1)], 3, new PaymentRequest(PaymentMethod.Pix, null), Started);
        var ret = new ReturnCommand(Guid.NewGuid(), 4, new Guid("0b9a3c1e-5d2f-4e7a-9c1b-2f3e4d5c6b7a"), Started, null);

        Assert.Equal(RentalPin, Fingerprint.Of(2, rental));
        Assert.Equal(ReturnPin, Fingerprint.Of(4, ret));
    }

    [Fact]
    public void Of_IgnoresTheTransactionIdOnly()
    {
        var sale = new SaleCommand(Guid.NewGuid(), 17, null, [new LineRequest(3, 1)], new PaymentRequest(PaymentMethod.Cash, null));

        Assert.Equal(Fingerprint.Of(1, sale), Fingerprint.Of(1, sale with { TransactionId = Guid.NewGuid() }));
        Assert.NotEqual(Fingerprint.Of(1, sale), Fingerprint.Of(2, sale));
        Assert.NotEqual(Fingerprint.Of(1, sale), Fingerprint.Of(1, sale with { CustomerId = 5 }));
        Assert.NotEqual(Fingerprint.Of(1, sale), Fingerprint.Of(1, sale with { Lines = [new LineRequest(3, 2)] }));
    }

    private const string RentalPin = "5794f5ad6fbacca4882fac0c54cea5ee33ddae03ff17add91c2c471c63596387";
    private const string ReturnPin = "723f211d8ad3fb49452bce835be60855b1bc7c89bcf5a75a7a556e81a8c80874";
}
