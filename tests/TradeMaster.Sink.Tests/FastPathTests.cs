using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using TradeMaster.Contracts.Events;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Sink.Tests;

/// <summary>
/// The sink's verdict-only shortcuts against the code they stand in for, on the test corpus and on seeded random
/// input: whatever the slow path reports, the shortcut must not call clean or valid (and the reverse where the
/// shortcut decides alone).
/// </summary>
public sealed class FastPathTests
{
    private static readonly JsonSerializerOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    // Pieces of text that make the personal-data regexes fire, nearly fire, or look like the ids, keys and
    // timestamps every event carries.
    private static readonly string[] TextPieces =
    [
        "529.982.247-25", "52998224725", "529982247", "(11) 98765-4321", "+55 11 98765-4321", "+5511987654321", "11 98765 4321",
        "11 98765-4321", "11987654321", "1198765-4321", "joao@example.com", "a@b", "@", "+", "+55", "(", ")", ".", "-", " ", "/",
        ":", "T", "Z", "a", "x", "ã", "\u00A0", "\u2009", "\\", "\"", "0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b",
        "23abc1c91cc52dac81142468883e3d992d5e10b507f6ef008d2b043c8e3a7809", "2025-03-01T12:00:00.1234567+00:00", "Vol. 2",
    ];

    private static string RandomText(Random random)
    {
        var text = new StringBuilder();
        var pieces = random.Next(1, 7);
        for (var i = 0; i < pieces; i++)
        {
            if (random.Next(3) == 0)
            {
                var digits = random.Next(1, 15);
                for (var d = 0; d < digits; d++) text.Append((char)('0' + random.Next(10)));
            }
            else
            {
                text.Append(TextPieces[random.Next(TextPieces.Length)]);
            }
        }
        return text.ToString();
    }

    [Fact]
    public void PersonalDataPrecheck_RandomText_NeverCallsCleanWhatTheRegexesFind()
    {
        var random = new Random(20250301);
        var found = 0;
        for (var i = 0; i < 30_000; i++)
        {
            var text = RandomText(random);
            var errors = new List<ValidationError>();
            PersonalData.ScanText(text, "$", errors);
            if (errors.Count == 0) continue;
            found++;
            // Both as the ledger writes it (non-ASCII and '+' escaped) and as raw UTF-8, alone and as a value
            // among others.
            foreach (var json in new[] { JsonSerializer.Serialize(text), JsonSerializer.Serialize(text, Relaxed) })
            {
                foreach (var message in new[] { json, $$"""{"id": 1, "note" : {{json}}, "n":[2.5,{{json}}]}""" })
                {
                    Assert.True(PersonalData.MayHoldAny(Encoding.UTF8.GetBytes(message)), $"The pre-check missed {string.Join(",", errors.Select(e => e.Code))} in {message}");
                }
            }
        }
        Assert.True(found > 3_000, $"only {found} texts held personal data: the generator does not exercise the regexes");
    }

    [Theory]
    [InlineData("""{"\u0063pf": "x"}""", true)]
    [InlineData("""{"CPF" : 1}""", true)]
    [InlineData("""{"cpfs": 1, "customer_cpf_hash": "x"}""", false)]
    [InlineData("""{"n": 52998224725}""", true)]
    [InlineData("""[529982247.25, -52998224725, 5.2998224725e10, 52998224726]""", false)]
    [InlineData("""{"a": "say \"529.982.247-25\""}""", true)]
    [InlineData("""{"a": "S\u00E3o Paulo \u0028 \"quoted\" \\"}""", false)] // a '(' but no digit and no '@': nothing to find
    [InlineData("""{"a": "(11) 9876\u0035-4321"}""", true)]
    [InlineData("""{"a": "\u0035\u00329982247\u00325"}""", true)]
    [InlineData("""{"a": "joao\u0040example.com"}""", true)]
    [InlineData("""{"a": "S\u00E3o Paulo 1234567 \u00E3"}""", false)]
    [InlineData("""{"a": "S\u00E3o Paulo", "b": "\"quoted\" \\ 0193a2b4-5c6d-7e8f-9a0b-1c2d3e4f5a6b"}""", false)]
    public void PersonalDataPrecheck_Text_FindsNamesNumbersAndEscapedStrings(string json, bool mayHold)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        Assert.Equal(mayHold, PersonalData.MayHoldAny(bytes));
        using var doc = JsonDocument.Parse(bytes);
        var reported = new List<ValidationError>();
        PersonalData.Report(doc.RootElement, "$", reported);
        // A verdict of "clean" must be the reporting pass's too (the reverse need not hold: "(" alone is no phone).
        if (!mayHold) Assert.Empty(reported);
    }

    [Fact]
    public void PersonalDataScan_MutatedEvents_ReportsExactlyWhatTheReportingPassReports()
    {
        var random = new Random(7);
        var samples = SampleEvents.AllValid().ToList();
        var flagged = 0;
        for (var i = 0; i < 3_000; i++)
        {
            var e = JsonNode.Parse(samples[random.Next(samples.Count)].ToJsonString())!.AsObject();
            Mutate(e, random, i);
            var bytes = Encoding.UTF8.GetBytes(random.Next(3) switch
            {
                0 => e.ToJsonString(),
                1 => e.ToJsonString(Relaxed),
                _ => e.ToJsonString(Indented),
            });
            using var doc = JsonDocument.Parse(bytes);
            var fast = new List<ValidationError>();
            var reported = new List<ValidationError>();
            PersonalData.Scan(bytes, doc.RootElement, "$", fast);
            PersonalData.Report(doc.RootElement, "$", reported);
            Assert.Equal(reported, fast);
            if (reported.Count > 0) flagged++;
        }
        Assert.True(flagged > 300, $"only {flagged} mutated events held personal data");
    }

    [Fact]
    public void Validator_MutatedEvents_ReportsThePersonalDataTheReportingPassReports()
    {
        // Through the whole validator, where the schema walk does the data's pre-check: what it calls clean
        // (schema-valid events, the walk's verdict) must be clean to the reporting pass too.
        var random = new Random(11);
        var samples = SampleEvents.AllValid().ToList();
        int flaggedValid = 0, cleanValid = 0;
        for (var i = 0; i < 4_000; i++)
        {
            var e = JsonNode.Parse(samples[random.Next(samples.Count)].ToJsonString())!.AsObject();
            if (random.Next(4) != 0) Mutate(e, random, i);
            var bytes = Encoding.UTF8.GetBytes(random.Next(2) == 0 ? e.ToJsonString() : e.ToJsonString(Relaxed));
            using var doc = JsonDocument.Parse(bytes);
            var reported = new List<ValidationError>();
            PersonalData.Report(doc.RootElement, "$", reported);
            using var validated = Validation.Validator.Validate(bytes, null);
            Assert.Equal(reported, validated.Errors.Where(x => x.Code.StartsWith("personal_data", StringComparison.Ordinal)));
            var schemaValid = e["type"] is JsonValue t && t.TryGetValue<string>(out var type) && EventTypes.All.Contains(type)
                && doc.RootElement.TryGetProperty("data", out var data) && Validation.Schemas.IsValidByFastPath(type, data) == true;
            if (schemaValid && reported.Count > 0) flaggedValid++;
            if (schemaValid && reported.Count == 0) cleanValid++;
        }
        // Both verdicts of the walk are exercised: personal data where the schema allows free text, and clean events.
        Assert.True(flaggedValid > 100, $"only {flaggedValid} schema-valid events held personal data");
        Assert.True(cleanValid > 1_000, $"only {cleanValid} schema-valid events were clean");
    }

    [Fact]
    public void CanonicalUuidsDatesAndTimestamps_AreCleanToThePersonalDataPrecheck()
    {
        // The schema walk calls these clean without scanning them (FastSchema.StringValid): they must be.
        var random = new Random(5);
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < 50_000; i++)
        {
            // Hex digits drawn mostly from 0-9, so groups of digits (and eleven-digit runs) are common.
            random.NextBytes(bytes);
            var uuid = string.Concat(new Guid(bytes).ToString("D").Select(c => c == '-' || random.Next(3) == 0 ? c : random.Next(4) == 0 ? char.ToUpperInvariant(c) : (char)('0' + random.Next(10))));
            var date = new DateOnly(random.Next(1, 10_000), random.Next(1, 13), 1).AddDays(random.Next(28));
            var fraction = random.Next(8);
            var timestamp = date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
                + $"T{random.Next(24):D2}:{random.Next(60):D2}:{random.Next(60):D2}"
                + (fraction == 0 ? "" : "." + string.Concat(Enumerable.Range(0, fraction).Select(_ => (char)('0' + random.Next(10)))))
                + (random.Next(2) == 0 ? "Z" : "+00:00");
            foreach (var text in new[] { uuid, date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), timestamp })
            {
                var ascii = Encoding.ASCII.GetBytes(text);
                Assert.True(System.Buffers.Text.Utf8Parser.TryParse(ascii, out Guid _, out var n, 'D') && n == ascii.Length
                    || CanonicalText.TryParseDate(ascii, out _) || CanonicalText.IsUtcTimestamp(ascii), text);
                Assert.False(PersonalData.StringMayHold(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(text))), text);
                var errors = new List<ValidationError>();
                PersonalData.ScanText(text, "$", errors);
                Assert.Empty(errors);
            }
        }
    }

    [Fact]
    public void FastSchema_PersonalDataOnTheWay_NeverCallsCleanWhatTheReportingPassFinds()
    {
        // The constructs the contracts do not use (yet): additional properties, objects and arrays without a schema
        // for their members, a 'true' schema, anyOf/oneOf/allOf, an enum with a value that looks like personal data.
        using var schemaDoc = JsonDocument.Parse("""
            {
              "type": "object",
              "properties": {
                "id": { "type": "string", "format": "uuid" },
                "day": { "type": "string", "format": "date" },
                "kind": { "enum": ["sale", "(11) 98765-4321"] },
                "free": true,
                "bag": { "type": "object" },
                "list": { "type": "array" },
                "notes": { "type": "array", "items": { "type": "string" } },
                "either": { "anyOf": [ { "type": "integer" }, { "type": "string", "maxLength": 40 } ] },
                "one": { "oneOf": [ { "type": "number", "maximum": 10 }, { "type": "object", "properties": { "t": { "type": "string" } }, "additionalProperties": false } ] },
                "all": { "allOf": [ { "type": "string" }, { "minLength": 1 } ] }
              },
              "required": ["id"]
            }
            """);
        var schema = FastSchema.Compile(schemaDoc.RootElement);
        var random = new Random(3);
        string[] names = ["id", "day", "kind", "free", "bag", "list", "notes", "either", "one", "all", "note", "cpf", "e_mail", "telefone", "x"];
        int valid = 0, flagged = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var o = new JsonObject { ["id"] = Guid.NewGuid().ToString() };
            for (var k = random.Next(6); k > 0; k--) o[names[random.Next(names.Length)]] = RandomValue(random, depth: 0);
            if (random.Next(5) == 0) o["kind"] = random.Next(2) == 0 ? "sale" : "(11) 98765-4321";
            if (random.Next(5) == 0) o["day"] = "2025-03-01";
            var json = random.Next(2) == 0 ? o.ToJsonString() : o.ToJsonString(Relaxed);
            using var doc = JsonDocument.Parse(json);
            var mayHold = false;
            if (!schema.IsValid(doc.RootElement, ref mayHold)) continue;
            valid++;
            var reported = new List<ValidationError>();
            PersonalData.Report(doc.RootElement, "$", reported);
            if (reported.Count > 0)
            {
                flagged++;
                Assert.True(mayHold, $"The walk called clean what the reporting pass found ({string.Join(",", reported.Select(r => r.Code + " " + r.Path))}) in {json}");
            }
        }
        Assert.True(valid > 5_000, $"only {valid} valid documents");
        Assert.True(flagged > 1_000, $"only {flagged} valid documents held personal data");
    }

    private static JsonNode? RandomValue(Random random, int depth) => random.Next(depth > 1 ? 4 : 7) switch
    {
        0 => JsonValue.Create(random.Next(3) == 0 ? 52998224725L : random.NextInt64(0, 100_000_000_000)),
        1 => JsonValue.Create(random.Next(12)),
        2 or 3 => JsonValue.Create(RandomText(random)),
        4 => new JsonArray([.. Enumerable.Range(0, random.Next(3)).Select(_ => RandomValue(random, depth + 1))]),
        5 => new JsonObject { [random.Next(3) == 0 ? "cpf" : "t"] = RandomValue(random, depth + 1) },
        _ => null,
    };

    private static void Mutate(JsonObject e, Random random, int seed)
    {
        var containers = new List<JsonObject> { e, e["data"]!.AsObject() };
        containers.AddRange(e["data"]!.AsObject().Select(p => p.Value).OfType<JsonObject>());
        if (e["data"]!["lines"] is JsonArray lines) containers.AddRange(lines.OfType<JsonObject>());
        var target = containers[random.Next(containers.Count)];
        var names = target.Select(p => p.Key).ToList();
        JsonNode? value = random.Next(5) switch
        {
            0 => JsonValue.Create(random.NextInt64(0, 100_000_000_000)),
            1 => JsonValue.Create(52998224725L),
            _ => JsonValue.Create(RandomText(random)),
        };
        switch (random.Next(4))
        {
            case 0: target[random.Next(10) == 0 ? "telefone" : $"extra_{seed}"] = value; break;
            default: target[names[random.Next(names.Count)]] = value; break;
        }
    }

    [Fact]
    public void CanonicalText_RandomDatesAndTimestamps_AcceptedOnlyWhereDotNetParsersAccept()
    {
        var random = new Random(42);
        const string alphabet = "0123456789-:T.Z+ ";
        var datesAccepted = 0;
        var timestampsAccepted = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var start = new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero);
            var text = (random.Next(4) switch
            {
                0 => start.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
                1 => start.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture),
                2 => start.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture),
                _ => start.ToString("O", CultureInfo.InvariantCulture),
            }).ToCharArray();
            // A few random characters changed, dropped or added.
            var edits = random.Next(0, 3);
            var chars = new List<char>(text);
            for (var k = 0; k < edits && chars.Count > 0; k++)
            {
                var at = random.Next(chars.Count);
                switch (random.Next(3))
                {
                    case 0: chars[at] = alphabet[random.Next(alphabet.Length)]; break;
                    case 1: chars.RemoveAt(at); break;
                    default: chars.Insert(at, alphabet[random.Next(alphabet.Length)]); break;
                }
            }
            var s = new string([.. chars]);
            var utf8 = Encoding.UTF8.GetBytes(s);
            if (CanonicalText.TryParseDate(utf8, out var date))
            {
                datesAccepted++;
                Assert.True(DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var expected), s);
                Assert.Equal(expected, date);
            }
            if (CanonicalText.TryParseUtcTimestamp(utf8, out var instant))
            {
                timestampsAccepted++;
                Assert.True(DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out _), s);
                // The instant the rules compare is the one the document's own reader gives.
                using var json = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(s));
                Assert.True(json.RootElement.TryGetDateTimeOffset(out var expected), s);
                Assert.Equal(expected, instant);
                Assert.Equal(expected.Offset, instant.Offset);
            }
        }
        Assert.True(datesAccepted > 3_000 && timestampsAccepted > 5_000, $"{datesAccepted} dates, {timestampsAccepted} timestamps accepted");
    }

    [Theory]
    [InlineData("0001-01-01T00:00:00Z")]
    [InlineData("9999-12-31T23:59:59.9999999Z")]
    [InlineData("2024-02-29T12:00:00+00:00")]
    [InlineData("2025-03-01T12:00:00.1234567+00:00")]
    public void CanonicalText_EdgeTimestamps_AreAcceptedByBoth(string s)
    {
        Assert.True(CanonicalText.TryParseUtcTimestamp(Encoding.UTF8.GetBytes(s), out var instant));
        Assert.True(DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var expected));
        Assert.Equal(expected, instant);
        Assert.Equal(TimeSpan.Zero, instant.Offset);
    }

    [Theory]
    [InlineData("2025-02-29T12:00:00Z")]
    [InlineData("2025-03-01T24:00:00Z")]
    [InlineData("2025-03-01T12:00:00.12345678Z")]
    [InlineData("2025-03-01T12:00:00-03:00")]
    [InlineData("2025-03-01 12:00:00Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    public void CanonicalText_NonCanonicalTimestamps_AreLeftToTheDotNetParser(string s) =>
        Assert.False(CanonicalText.IsUtcTimestamp(Encoding.UTF8.GetBytes(s)));

    [Fact]
    public void FormatTimestamp_RandomInstants_MatchesTheCustomFormatString()
    {
        var random = new Random(99);
        Span<byte> utf8 = stackalloc byte[27];
        for (var i = 0; i < 20_000; i++)
        {
            var value = new DateTimeOffset(random.NextInt64(DateTime.MinValue.Ticks + TimeSpan.TicksPerDay, DateTime.MaxValue.Ticks - TimeSpan.TicksPerDay), TimeSpan.Zero)
                .ToOffset(TimeSpan.FromMinutes(random.Next(-14 * 60, 14 * 60 + 1)));
            Transform.AnalyticsRow.FormatTimestamp(value, utf8);
            Assert.Equal(value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", CultureInfo.InvariantCulture), Encoding.UTF8.GetString(utf8));
        }
    }

    [Fact]
    public void TryMoneyText_RandomNumbers_IsDecimalF2WhereverItAnswers()
    {
        var random = new Random(77);
        Span<byte> text = stackalloc byte[40];
        var answered = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var number = random.Next(6) switch
            {
                0 => random.Next(0, 1000).ToString(CultureInfo.InvariantCulture),
                1 => (random.Next(0, 100_000) / 100m).ToString(CultureInfo.InvariantCulture),
                2 => (random.Next(0, 100_000) / 10m).ToString(CultureInfo.InvariantCulture),
                3 => (random.Next(-100_000, 100_000) / 1000m).ToString(CultureInfo.InvariantCulture),
                4 => random.NextInt64().ToString(CultureInfo.InvariantCulture) + random.Next(100).ToString(CultureInfo.InvariantCulture) + ".5",
                _ => random.Next(1, 100).ToString(CultureInfo.InvariantCulture) + "e" + random.Next(0, 3).ToString(CultureInfo.InvariantCulture),
            };
            using var doc = JsonDocument.Parse(number);
            if (!Transform.AnalyticsRow.TryMoneyText(Encoding.UTF8.GetBytes(number), text, out var n)) continue;
            answered++;
            Assert.Equal(doc.RootElement.GetDecimal().ToString("F2", CultureInfo.InvariantCulture), Encoding.UTF8.GetString(text[..n]));
        }
        Assert.InRange(answered, 8_000, 16_000);
    }

    [Fact]
    public void TryPlainNumber_RandomNumbers_IsTheParsersDecimalWhereverItAnswers()
    {
        var random = new Random(78);
        var answered = 0;
        for (var i = 0; i < 20_000; i++)
        {
            var number = random.Next(5) switch
            {
                0 => random.NextInt64(0, 1_000_000_000_000_000_000).ToString(CultureInfo.InvariantCulture),
                1 => (random.Next(0, 100_000) / 100m).ToString(CultureInfo.InvariantCulture),
                2 => random.Next(0, 1000).ToString(CultureInfo.InvariantCulture) + "." + random.Next(0, 1000).ToString(CultureInfo.InvariantCulture),
                3 => (random.Next(-100_000, 100_000) / 10m).ToString(CultureInfo.InvariantCulture),
                _ => random.Next(1, 100).ToString(CultureInfo.InvariantCulture) + (random.Next(2) == 0 ? "e" : "E") + random.Next(0, 3).ToString(CultureInfo.InvariantCulture),
            };
            using var doc = JsonDocument.Parse(number);
            if (!FastSchema.TryPlainNumber(Encoding.UTF8.GetBytes(number), out var value, out var scale)) continue;
            answered++;
            var expected = doc.RootElement.GetDecimal();
            Assert.Equal(expected, value);
            Assert.Equal(expected.Scale, scale);
            Assert.Equal(doc.RootElement.TryGetInt64(out _), scale == 0);
        }
        Assert.InRange(answered, 8_000, 16_000);
    }

    // The keywords only the late fee payment's schema uses: exclusiveMinimum, maxItems 0, enum [true].
    [Theory]
    [InlineData("total", "0.01", true)]
    [InlineData("total", "0", false)]
    [InlineData("total", "0.00", false)]
    [InlineData("total", "-0.01", false)]
    [InlineData("total", "1e-2", true)]
    [InlineData("total", "0e5", false)]
    [InlineData("return.late_fee", "0.01", true)]
    [InlineData("return.late_fee", "0", false)]
    [InlineData("return.late_fee", "1E+1", true)]
    [InlineData("return.late_days", "1", true)]
    [InlineData("return.late_days", "0", false)]
    [InlineData("return.fee_paid", "true", true)]
    [InlineData("return.fee_paid", "false", false)]
    [InlineData("return.fee_paid", "1", false)]
    [InlineData("return.fee_paid", "\"true\"", false)]
    [InlineData("lines", "[]", true)]
    [InlineData("lines", "[{}]", false)]
    [InlineData("lines", "[1]", false)]
    [InlineData("payment", "null", false)]
    [InlineData("rental", "null", true)]
    [InlineData("rental", "{}", false)]
    public void FastSchema_LateFeePaidKeywords_AgreeWithNJsonSchema(string path, string value, bool valid)
    {
        var data = SampleEvents.LateFeePaid()["data"]!.AsObject();
        var names = path.Split('.');
        var holder = names[..^1].Aggregate((JsonNode)data, (node, name) => node[name]!);
        holder[names[^1]] = JsonNode.Parse(value);
        var json = data.ToJsonString();
        Assert.Contains($"\"{names[^1]}\":{value}", json, StringComparison.Ordinal); // 1e-2 and 0.00 reach both validators as written
        using var doc = JsonDocument.Parse(json);

        Assert.True(Validation.Schemas.HasFastPath(EventTypes.LateFeePaid));
        Assert.Equal(valid, Validation.Schemas.IsValidByAuthority(EventTypes.LateFeePaid, doc.RootElement));
        Assert.Equal(valid, Validation.Schemas.IsValidByFastPath(EventTypes.LateFeePaid, doc.RootElement));
    }

    [Fact]
    public void FastSchema_RandomMutationsOfValidEvents_AgreesWithNJsonSchema()
    {
        var random = new Random(1234);
        var samples = SampleEvents.AllValid().ToList();
        // No integer beyond Int64: NJsonSchema throws on those (InvalidCastException from its number check).
        JsonNode?[] values =
        [
            null, true, 0, 1, -1, 3, 13, 0.5m, 19.999m, 99999999999m, 1234.5e3m, "", "x", "BRL", "USD", "sale", "rental", "cash", "credit_card", "pix", "clerk",
            "book", "vhs", "SP", "XX", "America/Sao_Paulo", "Sao Paulo", "2025-03-01", "2025-02-30", "2025-03-01T12:00:00Z",
            "2025-03-01T09:00:00-03:00", "2025-03-01T12:00:00+00:00", "f47ac10b-58cc-4372-a567-0e02b2c3d479", "{f47ac10b-58cc-4372-a567-0e02b2c3d479}",
            "not-a-uuid", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "insufficient_stock",
        ];
        var valid = 0;
        for (var i = 0; i < 2_000; i++)
        {
            var e = JsonNode.Parse(samples[random.Next(samples.Count)].ToJsonString())!.AsObject();
            var type = e["type"]!.GetValue<string>();
            var data = e["data"]!.AsObject();
            var mutations = random.Next(0, 3);
            for (var m = 0; m < mutations; m++)
            {
                var containers = new List<JsonObject> { data };
                containers.AddRange(data.Select(p => p.Value).OfType<JsonObject>());
                if (data["lines"] is JsonArray lines) containers.AddRange(lines.OfType<JsonObject>());
                var target = containers[random.Next(containers.Count)];
                var names = target.Select(p => p.Key).ToList();
                switch (random.Next(6))
                {
                    case 0 when names.Count > 0: target.Remove(names[random.Next(names.Count)]); break;
                    case 1: target["unexpected"] = 1; break;
                    default:
                        if (names.Count > 0) target[names[random.Next(names.Count)]] = values[random.Next(values.Length)]?.DeepClone();
                        break;
                }
            }
            var json = random.Next(2) == 0 ? data.ToJsonString() : data.ToJsonString(Relaxed);
            using var doc = JsonDocument.Parse(json);
            var authority = Validation.Schemas.IsValidByAuthority(type, doc.RootElement);
            Assert.True(authority == Validation.Schemas.IsValidByFastPath(type, doc.RootElement), $"{type}: NJsonSchema says {authority} for {json}");
            if (authority) valid++;
        }
        Assert.InRange(valid, 200, 1_800);
    }
}
