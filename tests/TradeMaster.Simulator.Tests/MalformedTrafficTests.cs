using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Options;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Gateway;
using TradeMaster.Gateway.Problems;
using TradeMaster.Gateway.Requests;
using TradeMaster.Sink;
using TradeMaster.Sink.Receiving;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Simulation.Tests;

public sealed class MalformedTrafficTests
{
    /// <summary>The defect of each bad API call and the field the gateway's answer must name.</summary>
    public static TheoryData<string, string> RequestDefects => new()
    {
        { "wrong_type", "lines[0].quantity" },
        { "negative_quantity", "lines[0].quantity" },
        { "unknown_payment_method", "payment.method" },
        { "missing_field", "days" },
        { "installments_without_credit_card", "payment.installments" },
    };

    /// <summary>The defect of each bad event and the sink validation code that must catch it.</summary>
    public static TheoryData<string, string> EventDefects => new()
    {
        { "total_mismatch", ValidationCodes.TotalMismatch },
        { "cpf_in_clear", ValidationCodes.PersonalDataCpf },
        { "unknown_type_version", ValidationCodes.EventVersionUnsupported },
        { "truncated_json", ValidationCodes.JsonInvalid },
        { "negative_quantity", ValidationCodes.QuantityNotPositive },
        { "email_in_clear", ValidationCodes.PersonalDataEmail },
    };

    private static readonly Lazy<List<SimulatedRequest>> AllMalformed = new(() =>
    {
        using var mix = Mixes.Create(malformedShare: 1);
        return Mixes.Drive(mix, 1500);
    });

    [Fact]
    public void Next_FullMalformedShare_CoversEveryDefect()
    {
        Assert.Equal(MalformedTraffic.RequestDefects.Order(),
            AllMalformed.Value.Where(r => r.Kind == TrafficKind.MalformedRequest).Select(r => r.Defect!).Distinct().Order());
        Assert.Equal(MalformedTraffic.EventDefects.Order(),
            AllMalformed.Value.Where(r => r.Kind == TrafficKind.MalformedEvent).Select(r => r.Defect!).Distinct().Order());
    }

    [Theory]
    [MemberData(nameof(RequestDefects))]
    public void MalformedRequest_BadField_IsRefusedByTheGatewaysParserNamingTheField(string defect, string field)
    {
        var parser = new TransactionRequests(new TransactionLimits());
        foreach (var request in Of(TrafficKind.MalformedRequest, defect))
        {
            using var body = JsonDocument.Parse(request.BodyJson!);
            var errors = new FieldErrors();
            var command = request.Path.EndsWith("/rentals", StringComparison.Ordinal)
                ? (object?)parser.ParseRental(body.RootElement, null, errors)
                : parser.ParseSale(body.RootElement, null, errors);

            Assert.Null(command);
            Assert.Equal([field], errors.ToDictionary().Keys);
        }
    }

    [Fact]
    public void MalformedRequest_InvalidJson_DoesNotParse()
    {
        Assert.All(Of(TrafficKind.MalformedRequest, "invalid_json"),
            r => Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(r.BodyJson!)));
    }

    [Fact]
    public void MalformedRequest_WrongContentType_SendsAValidSaleAsPlainText()
    {
        var parser = new TransactionRequests(new TransactionLimits());
        Assert.All(Of(TrafficKind.MalformedRequest, "wrong_content_type"), r =>
        {
            Assert.Equal("text/plain", r.ContentType);
            var errors = new FieldErrors();
            Assert.NotNull(parser.ParseSale(JsonDocument.Parse(r.BodyJson!).RootElement, null, errors));
        });
    }

    [Fact]
    public void MalformedRequest_UnknownMediaType_SearchesTheCatalogForAMediaTypeThatDoesNotExist()
    {
        Assert.All(Of(TrafficKind.MalformedRequest, "unknown_media_type"), r =>
        {
            Assert.Equal(HttpMethod.Get, r.Method);
            var mediaType = r.Path.Split("mediaType=")[1];
            Assert.StartsWith("/api/v1/items?", r.Path, StringComparison.Ordinal);
            Assert.False(WireNames.TryParseMediaType(mediaType, out _), mediaType);
        });
    }

    [Theory]
    [MemberData(nameof(EventDefects))]
    public void MalformedEvent_Defect_IsRejectedByTheSinksValidatorWithItsCode(string defect, string code)
    {
        var validator = new EventValidator(new ContractSchemas(), Options.Create(new SinkOptions()), TimeProvider.System);
        var requests = Of(TrafficKind.MalformedEvent, defect);
        foreach (var request in requests)
        {
            using var message = validator.Validate(Encoding.UTF8.GetBytes(request.BodyJson!), request.ContentType);

            Assert.False(message.IsValid);
            var codes = message.Errors.Select(e => e.Code).Distinct().ToList();
            Assert.Contains(code, codes);
            // One defect per event: nothing unrelated is wrong with it.
            Assert.All(codes, c => Assert.Contains(c, ExpectedCodes(defect)));
        }
    }

    [Fact]
    public void MalformedEvent_Path_IsTheSinksDaprTopicRoute()
    {
        Assert.Equal(SinkRoutes.DaprTopic, MalformedTraffic.SinkDaprTopicPath);
        Assert.All(AllMalformed.Value.Where(r => r.Kind == TrafficKind.MalformedEvent), r => Assert.Equal(SinkRoutes.DaprTopic, r.Path));
    }

    private static IReadOnlyList<string> ExpectedCodes(string defect) => defect switch
    {
        "cpf_in_clear" => [ValidationCodes.PersonalDataCpf, ValidationCodes.SchemaPattern],
        "email_in_clear" => [ValidationCodes.PersonalDataEmail, ValidationCodes.PersonalDataField, ValidationCodes.SchemaAdditionalProperty],
        "negative_quantity" => [ValidationCodes.QuantityNotPositive, ValidationCodes.TotalMismatch, ValidationCodes.LineTotalMismatch,
            ValidationCodes.SchemaRange],
        "total_mismatch" => [ValidationCodes.TotalMismatch],
        "unknown_type_version" => [ValidationCodes.EventVersionUnsupported],
        "truncated_json" => [ValidationCodes.JsonInvalid],
        _ => [],
    };

    private static List<SimulatedRequest> Of(TrafficKind kind, string defect)
    {
        var requests = AllMalformed.Value.Where(r => r.Kind == kind && r.Defect == defect).ToList();
        Assert.NotEmpty(requests);
        return requests;
    }
}
