using System.Security.Cryptography;
using System.Text;
using TradeMaster.Contracts.Ledger;

namespace TradeMaster.Contracts.Events;

/// <summary>
/// Event ids are name-based UUIDs (RFC 9562 version 5) of store, transaction and outcome, so every retry and
/// every replay of the same transaction yields the same id and consumers can drop duplicates.
/// </summary>
public static class EventIds
{
    private static readonly Guid Namespace = new("6f3d612c-dfb7-4cd3-8f3d-612cdfb7cd3f");

    public static Guid For(int storeId, Guid transactionId, TransactionKind kind, bool accepted)
    {
        var name = $"{storeId}:{transactionId:D}:{WireNames.Of(kind)}:{(accepted ? "accepted" : "refused")}";
        return NameBased(Namespace, name);
    }

    public static Guid NameBased(Guid ns, string name)
    {
        Span<byte> nsBytes = stackalloc byte[16];
        ns.TryWriteBytes(nsBytes, bigEndian: true, out _);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var buffer = new byte[16 + nameBytes.Length];
        nsBytes.CopyTo(buffer);
        nameBytes.CopyTo(buffer, 16);
#pragma warning disable CA5350 // SHA-1 is what RFC 9562 prescribes for v5 ids; it is not used for security here.
        var hash = SHA1.HashData(buffer);
#pragma warning restore CA5350
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50);
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80);
        return new Guid(hash.AsSpan(0, 16), bigEndian: true);
    }
}
