using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace TradeMaster.Sink.Receiving;

/// <summary>Dapr's app API token (APP_API_TOKEN): when set, Dapr sends it as <c>dapr-api-token</c> on every call to the app.</summary>
public sealed class DaprAppToken(string? token)
{
    public const string HeaderName = "dapr-api-token";

    private readonly byte[]? _expected = string.IsNullOrEmpty(token) ? null : Encoding.UTF8.GetBytes(token);

    public bool IsRequired => _expected is not null;

    public bool IsSatisfiedBy(HttpRequest request)
    {
        if (_expected is null) return true;
        var presented = request.Headers[HeaderName].ToString();
        return CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), _expected);
    }
}
