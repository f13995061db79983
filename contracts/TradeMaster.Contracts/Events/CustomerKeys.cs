using System.Security.Cryptography;
using System.Text;

namespace TradeMaster.Contracts.Events;

/// <summary>
/// The pseudonymous customer key carried by events: HMAC-SHA256 of the CPF's 11 digits under a secret key.
/// Analysts can count and follow a customer without ever seeing the CPF; without the secret the key cannot be
/// reversed by enumerating the (small) CPF space.
/// </summary>
public static class CustomerKeys
{
    public static string Compute(string cpf, ReadOnlySpan<byte> secret)
    {
        Span<char> digits = stackalloc char[11];
        var n = 0;
        foreach (var c in cpf)
        {
            if (char.IsAsciiDigit(c))
            {
                if (n == 11) throw new ArgumentException("A CPF has 11 digits.", nameof(cpf));
                digits[n++] = c;
            }
        }
        if (n != 11) throw new ArgumentException("A CPF has 11 digits.", nameof(cpf));
        var mac = HMACSHA256.HashData(secret, Encoding.ASCII.GetBytes(digits.ToArray()));
        return Convert.ToHexStringLower(mac);
    }
}
