using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Sink.Tests;

/// <summary>A validator with the sink's defaults and a clock three hours after the sample events.</summary>
internal static class Validation
{
    public static readonly ContractSchemas Schemas = new();
    public static readonly FakeTimeProvider Clock = new(SampleEvents.OccurredAt.AddHours(3));
    public static readonly EventValidator Validator = new(Schemas, Options.Create(new SinkOptions()), Clock);

    public static IReadOnlyList<ValidationError> Errors(JsonNode e, string? contentType = "application/cloudevents+json") =>
        Errors(e.Bytes(), contentType);

    public static IReadOnlyList<ValidationError> Errors(byte[] body, string? contentType = "application/cloudevents+json")
    {
        using var result = Validator.Validate(body, contentType);
        return result.Errors;
    }

    public static IReadOnlyList<ValidationError> Errors(string body, string? contentType = "application/cloudevents+json") =>
        Errors(Encoding.UTF8.GetBytes(body), contentType);

    public static string[] Codes(this IReadOnlyList<ValidationError> errors) => [.. errors.Select(e => e.Code).Distinct().Order()];
}
