using System.Buffers;
using System.Text.Json;
using TradeMaster.Gateway.Problems;

namespace TradeMaster.Gateway.Requests;

/// <summary>
/// Reads a JSON request body defensively: content type first (415), then size (413) without buffering more than
/// the limit, then syntax (400 malformed_json). Field validation happens on the parsed document, so wrong types
/// and missing fields are reported together instead of stopping at the first deserialization error.
/// </summary>
public static class JsonBody
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 32 };

    public readonly record struct Result(JsonDocument? Document, IResult? Problem);

    public static async Task<Result> ReadAsync(HttpRequest request, long maxBytes, CancellationToken cancellationToken)
    {
        if (!request.HasJsonContentType())
        {
            return new(null, GatewayProblems.Problem(
                StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, "Unsupported media type.",
                $"Send the body as application/json (got '{request.ContentType ?? "no Content-Type"}')."));
        }
        if (request.ContentLength > maxBytes) return new(null, TooLarge(maxBytes));

        // Reading stops one buffer past the limit. Kestrel's own MaxRequestBodySize stays at its default on purpose:
        // it drains the unread rest after the 413, so the client reads the answer instead of a broken pipe.
        var reader = request.BodyReader;
        ReadOnlySequence<byte> body;
        while (true)
        {
            var read = await reader.ReadAsync(cancellationToken);
            if (read.Buffer.Length > maxBytes)
            {
                reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                return new(null, TooLarge(maxBytes));
            }
            if (read.IsCompleted || read.IsCanceled)
            {
                body = read.Buffer;
                break;
            }
            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        try
        {
            if (body.IsEmpty) return new(null, Malformed("The request body is empty; a JSON object is expected."));
            // Copied: the pipe reuses its buffers once advanced, and a document over a sequence keeps pointing at them.
            var document = JsonDocument.Parse(body.ToArray(), DocumentOptions);
            var kind = document.RootElement.ValueKind;
            if (kind != JsonValueKind.Object)
            {
                document.Dispose();
                return new(null, Malformed($"The body must be a JSON object, not {Describe(kind)}."));
            }
            return new(document, null);
        }
        catch (JsonException e)
        {
            return new(null, Malformed(e.Message));
        }
        finally
        {
            reader.AdvanceTo(body.End);
        }
    }

    private static IResult TooLarge(long maxBytes) => GatewayProblems.Problem(
        StatusCodes.Status413PayloadTooLarge, ProblemCodes.PayloadTooLarge, "Payload too large.",
        $"The request body may have at most {maxBytes} bytes.");

    private static IResult Malformed(string message)
    {
        var errors = new FieldErrors();
        errors.Add("$", message);
        return GatewayProblems.Validation(errors, ProblemCodes.MalformedJson, "The request body is not valid JSON.");
    }

    internal static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };
}
