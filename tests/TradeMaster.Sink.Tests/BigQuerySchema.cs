using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TradeMaster.Sink.Tests;

/// <summary>Checks NDJSON rows against a `bq` schema file the way a BigQuery load job would (names, modes, types).</summary>
internal static partial class BigQuerySchema
{
    [GeneratedRegex(@"^-?[0-9]{1,29}(\.[0-9]{1,9})?$")]
    private static partial Regex Numeric();

    public static JsonElement Load(string file)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "bigquery", file)));
        return doc.RootElement.Clone();
    }

    public static List<string> Violations(JsonElement row, JsonElement fields, string path = "$")
    {
        var problems = new List<string>();
        if (row.ValueKind != JsonValueKind.Object) return [$"{path}: a row is a JSON object"];
        var byName = fields.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, StringComparer.Ordinal);
        foreach (var p in row.EnumerateObject())
        {
            if (!byName.ContainsKey(p.Name)) problems.Add($"{path}.{p.Name}: not in the schema");
        }
        foreach (var (name, field) in byName)
        {
            var mode = field.TryGetProperty("mode", out var m) ? m.GetString() : "NULLABLE";
            var type = field.GetProperty("type").GetString()!;
            var present = row.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null;
            var at = $"{path}.{name}";
            if (!present)
            {
                if (mode == "REQUIRED") problems.Add($"{at}: REQUIRED but missing or null");
                continue;
            }
            if (mode == "REPEATED")
            {
                if (value.ValueKind != JsonValueKind.Array) { problems.Add($"{at}: REPEATED needs an array"); continue; }
                var i = 0;
                foreach (var item in value.EnumerateArray()) problems.AddRange(TypeViolations(item, type, field, $"{at}[{i++}]"));
            }
            else
            {
                problems.AddRange(TypeViolations(value, type, field, at));
            }
        }
        return problems;
    }

    private static IEnumerable<string> TypeViolations(JsonElement v, string type, JsonElement field, string at)
    {
        var ok = type switch
        {
            "STRING" => v.ValueKind == JsonValueKind.String,
            "INT64" or "INTEGER" => v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out _),
            "NUMERIC" => v.ValueKind == JsonValueKind.String && Numeric().IsMatch(v.GetString()!),
            "BOOL" or "BOOLEAN" => v.ValueKind is JsonValueKind.True or JsonValueKind.False,
            "DATE" => v.ValueKind == JsonValueKind.String
                && DateOnly.TryParseExact(v.GetString(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            "TIMESTAMP" => v.ValueKind == JsonValueKind.String
                && DateTimeOffset.TryParseExact(v.GetString(), "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _),
            "RECORD" or "STRUCT" => v.ValueKind == JsonValueKind.Object,
            "JSON" => true,
            _ => false,
        };
        if (!ok) return [$"{at}: {v.GetRawText()} is not a valid {type}"];
        return type is "RECORD" or "STRUCT" ? Violations(v, field.GetProperty("fields"), at) : [];
    }
}
