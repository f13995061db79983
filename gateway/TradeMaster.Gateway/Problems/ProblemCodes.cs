namespace TradeMaster.Gateway.Problems;

/// <summary>
/// The gateway's own stable `code` values, next to the ledger's <see cref="Contracts.Ledger.RefusalCodes"/>.
/// Clients branch on them, so they are never renamed; docs/api.md lists each one.
/// </summary>
public static class ProblemCodes
{
    public const string ValidationFailed = "validation_failed";
    public const string MalformedJson = "malformed_json";
    public const string UnsupportedMediaType = "unsupported_media_type";
    public const string PayloadTooLarge = "payload_too_large";
    public const string Unauthenticated = "unauthenticated";
    public const string ForbiddenStore = "forbidden_store";
    public const string ForbiddenRole = "forbidden_role";
    public const string HttpsRequired = "https_required";
    public const string NotFound = "not_found";
    public const string MethodNotAllowed = "method_not_allowed";
    public const string BadRequest = "bad_request";
    public const string TransactionUnknown = "transaction_unknown";
    public const string LedgerUnavailable = "ledger_unavailable";
    public const string DatabaseUnavailable = "database_unavailable";
    public const string InternalError = "internal_error";

    /// <summary>The code a bare status gets when nothing more specific was said (status-code pages, faults).</summary>
    public static string ForStatus(int status) => status switch
    {
        StatusCodes.Status400BadRequest => BadRequest,
        StatusCodes.Status401Unauthorized => Unauthenticated,
        StatusCodes.Status403Forbidden => ForbiddenRole,
        StatusCodes.Status404NotFound => NotFound,
        StatusCodes.Status405MethodNotAllowed => MethodNotAllowed,
        StatusCodes.Status413PayloadTooLarge => PayloadTooLarge,
        StatusCodes.Status415UnsupportedMediaType => UnsupportedMediaType,
        StatusCodes.Status503ServiceUnavailable => LedgerUnavailable,
        >= 500 => InternalError,
        _ => BadRequest,
    };
}
