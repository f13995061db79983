using Microsoft.AspNetCore.Mvc;

namespace TradeMaster.Gateway.Problems;

/// <summary>RFC 9457 answers with the stable <c>code</c> extension every gateway error carries.</summary>
public static class GatewayProblems
{
    public const string CodeKey = "code";

    public static IResult Problem(int status, string code, string title, string? detail = null,
        IEnumerable<KeyValuePair<string, object?>>? extensions = null)
    {
        var all = new Dictionary<string, object?> { [CodeKey] = code };
        if (extensions is not null)
        {
            foreach (var (key, value) in extensions) all[key] = value;
        }
        return TypedResults.Problem(detail: detail, statusCode: status, title: title, extensions: all);
    }

    /// <summary>A 400 naming every offending field at once.</summary>
    public static IResult Validation(FieldErrors errors, string code = ProblemCodes.ValidationFailed,
        string title = "The request has invalid fields.") =>
        TypedResults.ValidationProblem(
            errors.ToDictionary(),
            detail: "See `errors`: each key is the path of a field, each value what is wrong with it.",
            title: title,
            extensions: new Dictionary<string, object?> { [CodeKey] = code });

    public static IResult NotFound(string code, string detail) =>
        Problem(StatusCodes.Status404NotFound, code, "Not found.", detail);

    /// <summary>Writes a problem from places that are not endpoints (authentication, exception handler).</summary>
    public static ValueTask WriteAsync(HttpContext context, int status, string code, string title, string? detail)
    {
        context.Response.StatusCode = status;
        var problems = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        return problems.WriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            ProblemDetails = new ProblemDetails
            {
                Status = status,
                Title = title,
                Detail = detail,
                Extensions = { [CodeKey] = code },
            },
        });
    }
}

/// <summary>Field errors keyed by JSON path (<c>lines[0].quantity</c>), collected so a client sees all at once.</summary>
public sealed class FieldErrors
{
    private readonly Dictionary<string, List<string>> _errors = new(StringComparer.Ordinal);

    public bool IsEmpty => _errors.Count == 0;

    public int Count => _errors.Count;

    public void Add(string path, string message)
    {
        if (!_errors.TryGetValue(path, out var list)) _errors[path] = list = [];
        list.Add(message);
    }

    public IDictionary<string, string[]> ToDictionary() =>
        _errors.ToDictionary(e => e.Key, e => e.Value.ToArray(), StringComparer.Ordinal);
}
