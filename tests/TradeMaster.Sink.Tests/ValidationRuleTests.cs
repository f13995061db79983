using System.Text;
using System.Text.Json.Nodes;
using TradeMaster.Sink.Validation;
using static TradeMaster.Sink.Validation.ValidationCodes;

namespace TradeMaster.Sink.Tests;

public sealed class ValidationRuleTests
{
    public static TheoryData<string> ValidKinds =>
        ["sale", "rental", "return-late", "return-on-time", "late-fee-payment", "refused", "refused-late-fee-payment", "anonymous-sale"];

    private static JsonObject Valid(string kind) => kind switch
    {
        "sale" => SampleEvents.Sale(),
        "rental" => SampleEvents.Rental(),
        "return-late" => SampleEvents.Return(),
        "return-on-time" => SampleEvents.Return(late: false),
        "late-fee-payment" => SampleEvents.LateFeePaid(),
        "refused" => SampleEvents.Refused(),
        "refused-late-fee-payment" => SampleEvents.RefusedLateFeePayment(),
        _ => SampleEvents.AnonymousSale(),
    };

    private static (string Code, string Path)[] ErrorsOf(JsonObject e, Action<JsonObject> mutate)
    {
        mutate(e);
        return [.. Validation.Errors(e).Select(x => (x.Code, x.Path)).Order()];
    }

    private static string[] CodesOf(JsonObject e, Action<JsonObject> mutate)
    {
        mutate(e);
        return Validation.Errors(e).Codes();
    }

    private static JsonNode Data(JsonObject e) => e["data"]!;

    [Theory]
    [InlineData("\"name\":\"", "\"name\":\"Loja \\uD800 ")]
    [InlineData("\"city\":\"", "\"city\":\"\\uDC00")]
    [InlineData("\"specversion\"", "\"x\\uD800\":1,\"specversion\"")]
    [InlineData("\"specversion\":\"1.0", "\"specversion\":\"1.0\\uDFFF")]
    public void Validate_LoneSurrogateEscape_IsRejectedNotThrown(string find, string replace)
    {
        var json = SampleEvents.Sale().ToJsonString();
        Assert.Contains(find, json);
        var errors = Validation.Errors(json.Replace(find, replace, StringComparison.Ordinal));
        Assert.Equal([JsonInvalid], errors.Codes());
        Assert.Contains("surrogate", errors[0].Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"a":"\uD83D\uDE00 \\uD800 \"\u00E3"}""", -1)]
    [InlineData("""{"a":"\uD83D"}""", 6)]
    [InlineData("""{"a":"x\uDE00\uD83D"}""", 7)]
    [InlineData("""{"a":"\\\uD800x"}""", 8)]
    public void LoneSurrogateEscape_Text_FindsTheFirstLoneHalf(string json, int at) =>
        Assert.Equal(at, EventValidator.LoneSurrogateEscape(Encoding.UTF8.GetBytes(json)));

    [Theory]
    [MemberData(nameof(ValidKinds))]
    public void Validate_ValidEventOfEachType_HasNoErrors(string kind)
    {
        var errors = Validation.Errors(Valid(kind));
        Assert.True(errors.Count == 0, string.Join("; ", errors));
    }

    [Fact]
    public void Validate_QuantityZero_ReportsQuantityNotPositiveInsteadOfGenericRange()
    {
        var e = SampleEvents.Sale();
        Data(e)["lines"]![0]!["quantity"] = 0;
        var errors = Validation.Errors(e);
        Assert.Contains(errors, x => x.Code == QuantityNotPositive && x.Path == "$.data.lines[0].quantity");
        Assert.DoesNotContain(errors, x => x.Code == SchemaRange && x.Path == "$.data.lines[0].quantity");
    }

    [Fact]
    public void Validate_NegativeUnitPrice_ReportsUnitPriceNegative() =>
        Assert.Contains(UnitPriceNegative, CodesOf(SampleEvents.Sale(), e => Data(e)["lines"]![1]!["unit_price"] = -1m));

    [Fact]
    public void Validate_NegativeDiscount_ReportsDiscountNegative() =>
        Assert.Contains(DiscountNegative, CodesOf(SampleEvents.Sale(), e => Data(e)["lines"]![1]!["discount"] = -5m));

    [Fact]
    public void Validate_LineTotalNotQuantityTimesPriceMinusDiscount_ReportsLineTotalMismatch()
    {
        var e = SampleEvents.Sale();
        Data(e)["lines"]![0]!["line_total"] = 39.98m; // discount forgotten; total adjusted so only the line is wrong
        Data(e)["total"] = 69.88m;
        Data(e)["payment"]!["amount"] = 69.88m;
        Assert.Equal([LineTotalMismatch], Validation.Errors(e).Codes());
    }

    [Fact]
    public void Validate_TotalNotSumOfLines_ReportsTotalMismatch()
    {
        var e = SampleEvents.Sale();
        Data(e)["total"] = 70m;
        Data(e)["payment"]!["amount"] = 70m;
        Assert.Equal([TotalMismatch], Validation.Errors(e).Codes());
    }

    [Fact]
    public void Validate_PaymentAmountDiffersFromTotal_ReportsPaymentAmountMismatch() =>
        Assert.Equal([PaymentAmountMismatch], CodesOf(SampleEvents.Sale(), e => Data(e)["payment"]!["amount"] = 60m));

    [Fact]
    public void Validate_LineNumbersOutOfSequence_ReportsLineNumberInvalid() =>
        Assert.Equal([LineNumberInvalid], CodesOf(SampleEvents.Sale(), e => Data(e)["lines"]![1]!["line_number"] = 5));

    [Fact]
    public void Validate_RentalDueDateBeforeStart_ReportsRentalDueDateInvalid() =>
        Assert.Equal([RentalDueDateInvalid], CodesOf(SampleEvents.Rental(), e => Data(e)["rental"]!["due_date"] = "2025-02-27"));

    [Fact]
    public void Validate_RentalDueDateNotStartPlusDays_ReportsRentalDueDateInvalid() =>
        Assert.Equal([RentalDueDateInvalid], CodesOf(SampleEvents.Rental(), e => Data(e)["rental"]!["due_date"] = "2025-03-10"));

    [Fact]
    public void Validate_RentalLongerThanPolicy_ReportsRentalPeriodOutOfRange()
    {
        var e = SampleEvents.Rental();
        Data(e)["rental"]!["days"] = 45;
        Data(e)["rental"]!["due_date"] = "2025-04-15";
        var codes = Validation.Errors(e).Codes();
        Assert.Contains(RentalPeriodOutOfRange, codes);
        Assert.DoesNotContain(RentalDueDateInvalid, codes);
    }

    [Fact]
    public void Validate_RentalUnitPriceNotDaysTimesDailyPrice_ReportsUnitPriceMismatch() =>
        Assert.Equal([UnitPriceMismatch], CodesOf(SampleEvents.Rental(), e => Data(e)["lines"]![0]!["daily_price"] = 4m));

    [Fact]
    public void Validate_RentalIdNotTheTransactionId_ReportsRentalIdMismatch() =>
        Assert.Equal([RentalIdMismatch], CodesOf(SampleEvents.Rental(), e => Data(e)["rental"]!["rental_id"] = Guid.NewGuid().ToString()));

    [Fact]
    public void Validate_ReturnedBeforeRentalStarted_ReportsReturnBeforeRentalStart() =>
        Assert.Equal([ReturnBeforeRentalStart], CodesOf(SampleEvents.Return(), e => Data(e)["return"]!["returned_at"] = "2025-02-20T10:00:00Z"));

    [Fact]
    public void Validate_LateFeeNotSumOfReturnLines_ReportsLateFeeMismatch() =>
        Assert.Equal([LateFeeMismatch], CodesOf(SampleEvents.Return(), e => Data(e)["return"]!["late_fee"] = 12m));

    [Fact]
    public void Validate_LateFeeWithoutLateDays_ReportsLateFeeIncoherent() =>
        Assert.Equal([LateFeeIncoherent], CodesOf(SampleEvents.Return(), e => Data(e)["return"]!["late_days"] = 0));

    [Fact]
    public void Validate_FeePaidWithoutPayment_ReportsLateFeeIncoherent() =>
        Assert.Equal([LateFeeIncoherent], CodesOf(SampleEvents.Return(), e => Data(e)["payment"] = null));

    [Fact]
    public void Validate_LateFeePaymentTotalNotTheLateFee_ReportsLateFeeMismatchAndPaymentAmountMismatch() =>
        Assert.Equal([(LateFeeMismatch, "$.data.return.late_fee"), (PaymentAmountMismatch, "$.data.payment.amount")],
            ErrorsOf(SampleEvents.LateFeePaid(), e => Data(e)["total"] = 12.50m));

    [Fact]
    public void Validate_LateFeePaymentTotalAndPaymentNotTheLateFee_ReportsLateFeeMismatch() =>
        Assert.Equal([(LateFeeMismatch, "$.data.return.late_fee")], ErrorsOf(SampleEvents.LateFeePaid(), e =>
        {
            Data(e)["total"] = 8.00m;
            Data(e)["payment"]!["amount"] = 8.00m;
        }));

    [Fact]
    public void Validate_LateFeePaymentAmountNotTheTotal_ReportsPaymentAmountMismatch() =>
        Assert.Equal([(PaymentAmountMismatch, "$.data.payment.amount")], ErrorsOf(SampleEvents.LateFeePaid(), e => Data(e)["payment"]!["amount"] = 5.00m));

    [Fact]
    public void Validate_LateFeePaymentWithoutPayment_ReportsSchemaTypeAndNoDataRule()
    {
        var errors = ErrorsOf(SampleEvents.LateFeePaid(), e => Data(e)["payment"] = null);
        Assert.Contains((SchemaType, "$.data.payment"), errors);
        // NJsonSchema adds the payment's required properties and its anyOf; no rule speaks of a payment that is not there.
        Assert.All(errors, x => Assert.StartsWith("schema_", x.Code, StringComparison.Ordinal));
    }

    [Fact]
    public void Validate_LateFeePaymentWithLines_ReportsSchemaRangeOnLinesOnly() =>
        // A line that would be valid in a return (and adds up to the total): the lines themselves are refused, once.
        Assert.Equal([(SchemaRange, "$.data.lines")], ErrorsOf(SampleEvents.LateFeePaid(), e =>
            Data(e)["lines"] = JsonNode.Parse("""[{"line_number":1,"item_id":303,"title":"Breaking Bad T1","media_type":"series_dvd","genre":"Drama","quantity":1,"unit_price":10.00,"discount":0,"line_total":10.00,"daily_price":5.00}]""")));

    [Fact]
    public void Validate_LateFeePaymentNotMarkedPaid_ReportsLateFeeIncoherentInsteadOfSchemaEnum() =>
        Assert.Equal([(LateFeeIncoherent, "$.data.return.fee_paid")], ErrorsOf(SampleEvents.LateFeePaid(), e => Data(e)["return"]!["fee_paid"] = false));

    [Fact]
    public void Validate_LateFeePaymentOfALateFeeOfZero_ReportsLateFeeMismatch() =>
        Assert.Equal([(LateFeeMismatch, "$.data.return.late_fee")], ErrorsOf(SampleEvents.LateFeePaid(), e => Data(e)["return"]!["late_fee"] = 0));

    [Fact]
    public void Validate_LateFeePaymentOfNothing_ReportsSchemaRangeOnTotalAndLateFee() =>
        Assert.Equal([(SchemaRange, "$.data.return.late_fee"), (SchemaRange, "$.data.total")], ErrorsOf(SampleEvents.LateFeePaid(), e =>
        {
            Data(e)["total"] = 0;
            Data(e)["payment"]!["amount"] = 0;
            Data(e)["return"]!["late_fee"] = 0;
        }));

    [Fact]
    public void Validate_LateFeePaymentWithoutLateDays_ReportsSchemaRange() =>
        Assert.Equal([(SchemaRange, "$.data.return.late_days")], ErrorsOf(SampleEvents.LateFeePaid(), e => Data(e)["return"]!["late_days"] = 0));

    [Fact]
    public void Validate_LateFeePaymentOfAReturnBeforeTheRentalStarted_ReportsReturnBeforeRentalStart() =>
        Assert.Equal([(ReturnBeforeRentalStart, "$.data.return.returned_at")],
            ErrorsOf(SampleEvents.LateFeePaid(), e => Data(e)["return"]!["returned_at"] = "2025-02-20T10:00:00Z"));

    [Fact]
    public void Validate_LateFeePaymentRentalIdNotUuid_ReportsIdInvalid() =>
        Assert.Equal([(IdInvalid, "$.data.return.rental_id")], ErrorsOf(SampleEvents.LateFeePaid(), e => Data(e)["return"]!["rental_id"] = "rental-42"));

    [Fact]
    public void Validate_LateFeePaymentWithARentalObject_ReportsSchemaType() =>
        Assert.Equal([(SchemaType, "$.data.rental")], ErrorsOf(SampleEvents.LateFeePaid(), e =>
            Data(e)["rental"] = JsonNode.Parse($$"""{"rental_id":"{{Guid.NewGuid()}}","days":3,"start_date":"2025-02-21","due_date":"2025-02-24"}""")));

    [Theory]
    [InlineData("return", "late_fee_payment")]
    [InlineData("late_fee_payment", "return")]
    public void Validate_TransactionTypeOfTheOtherKind_ReportsSchemaEnum(string kind, string transactionType)
    {
        var e = kind == "return" ? SampleEvents.Return() : SampleEvents.LateFeePaid();
        Assert.Equal([(SchemaEnum, "$.data.transaction_type")], ErrorsOf(e, x => Data(x)["transaction_type"] = transactionType));
    }

    [Fact]
    public void Validate_RefusedLateFeePaymentRentalIdNotUuid_ReportsIdInvalid() =>
        Assert.Contains((IdInvalid, "$.data.rental_id"), ErrorsOf(SampleEvents.RefusedLateFeePayment(), e => Data(e)["rental_id"] = "rental-42"));

    [Fact]
    public void Validate_OccurredAtBeyondClockSkew_ReportsOccurredAtInFuture()
    {
        var e = SampleEvents.Sale();
        Data(e)["occurred_at"] = Validation.Clock.GetUtcNow().AddMinutes(10).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        Assert.Equal([OccurredAtInFuture], Validation.Errors(e).Codes());
    }

    [Fact]
    public void Validate_OccurredAtWithinClockSkew_IsValid()
    {
        var e = SampleEvents.Sale();
        Data(e)["occurred_at"] = Validation.Clock.GetUtcNow().AddMinutes(2).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'");
        Assert.Empty(Validation.Errors(e));
    }

    [Fact]
    public void Validate_LocalDateNotTheStoreDate_ReportsLocalDateMismatch() =>
        Assert.Equal([LocalDateMismatch], CodesOf(SampleEvents.Sale(), e => Data(e)["local_date"] = "2025-03-02"));

    [Fact]
    public void Validate_UnknownTimezone_ReportsStoreTimezoneUnknown() =>
        Assert.Equal([StoreTimezoneUnknown], CodesOf(SampleEvents.Sale(), e => Data(e)["store"]!["timezone"] = "Mars/Olympus_Mons"));

    [Theory]
    // 03:30 UTC is 00:30 on 1 March in São Paulo (UTC−3) and 23:30 on 28 February in Manaus (UTC−4).
    [InlineData("America/Sao_Paulo", "2025-03-01", new string[0])]
    [InlineData("America/Manaus", "2025-02-28", new string[0])]
    [InlineData("America/Manaus", "2025-03-01", new[] { LocalDateMismatch })]
    [InlineData("America/Sao_Paulo", "2025-02-28", new[] { LocalDateMismatch })]
    [InlineData("\\u0041merica/Manaus", "2025-02-28", new string[0])]
    [InlineData("America\\/Sao_Paulo", "2025-02-28", new[] { LocalDateMismatch })]
    [InlineData("Mars/Olympus_Mons", "2025-03-01", new[] { StoreTimezoneUnknown })]
    public void Validate_LocalDate_IsTheDateInTheStoresZone_HoweverItsNameIsWritten(string timezone, string localDate, string[] expected)
    {
        // Each zone twice: the second look-up finds it among the zones already met, by its bytes.
        for (var round = 0; round < 2; round++)
        {
            var e = SampleEvents.Sale();
            Data(e)["occurred_at"] = "2025-03-01T03:30:00Z";
            Data(e)["local_date"] = localDate;
            Data(e)["store"]!["timezone"] = "TZ";
            var body = e.ToJsonString().Replace("\"TZ\"", "\"" + timezone + "\"", StringComparison.Ordinal);
            Assert.Equal(expected, Validation.Errors(body).Codes());
        }
    }

    [Fact]
    public void Validate_CurrencyNotBrl_ReportsCurrencyUnsupportedOnly() =>
        Assert.Equal([CurrencyUnsupported], CodesOf(SampleEvents.Sale(), e => Data(e)["currency"] = "USD"));

    [Fact]
    public void Validate_StoreIdAsString_ReportsSchemaType() =>
        Assert.Equal([SchemaType], CodesOf(SampleEvents.Sale(), e => Data(e)["store"]!["id"] = "7"));

    [Fact]
    public void Validate_StoreIdZero_ReportsIdInvalid() =>
        Assert.Equal([IdInvalid], CodesOf(SampleEvents.Sale(), e => Data(e)["store"]!["id"] = 0));

    [Fact]
    public void Validate_TransactionIdNotUuid_ReportsIdInvalid() =>
        Assert.Equal([IdInvalid], CodesOf(SampleEvents.Sale(), e => Data(e)["transaction_id"] = "tx-42"));

    [Fact]
    public void Validate_EventIdNotUuid_ReportsEventIdInvalid() =>
        Assert.Equal([EventIdInvalid], CodesOf(SampleEvents.Sale(), e => e["id"] = "sale-42"));

    [Fact]
    public void Validate_UnknownEventType_ReportsEventTypeUnknown() =>
        Assert.Equal([EventTypeUnknown], CodesOf(SampleEvents.Sale(), e => e["type"] = "com.example.order.created.v1"));

    [Fact]
    public void Validate_UnknownVersionOfKnownType_ReportsEventVersionUnsupported() =>
        Assert.Equal([EventVersionUnsupported], CodesOf(SampleEvents.Sale(), e => e["type"] = "com.trademaster.sale.completed.v2"));

    [Fact]
    public void Validate_SpecVersionNot10_ReportsSpecVersionUnsupported() =>
        Assert.Equal([SpecVersionUnsupported], CodesOf(SampleEvents.Sale(), e => e["specversion"] = "0.3"));

    [Fact]
    public void Validate_MissingSource_ReportsEnvelopeFieldMissing() =>
        Assert.Equal([EnvelopeFieldMissing], CodesOf(SampleEvents.Sale(), e => e.Remove("source")));

    [Fact]
    public void Validate_DataContentTypeXml_ReportsDataContentTypeUnsupported() =>
        Assert.Equal([DataContentTypeUnsupported], CodesOf(SampleEvents.Sale(), e => e["datacontenttype"] = "application/xml"));

    [Fact]
    public void Validate_TextPlainContentType_ReportsContentTypeUnsupported() =>
        Assert.Equal([ContentTypeUnsupported], Validation.Errors(SampleEvents.Sale(), "text/plain").Codes());

    [Fact]
    public void Validate_TruncatedJson_ReportsJsonInvalid()
    {
        var text = SampleEvents.Sale().ToJsonString();
        Assert.Equal([JsonInvalid], Validation.Errors(text[..(text.Length / 2)]).Codes());
    }

    [Fact]
    public void Validate_JsonArray_ReportsEnvelopeNotObject() =>
        Assert.Equal([EnvelopeNotObject], Validation.Errors("[1,2,3]").Codes());

    [Fact]
    public void Validate_FormattedCpfInTitle_ReportsPersonalDataCpf() =>
        Assert.Equal([PersonalDataCpf], CodesOf(SampleEvents.Sale(), e => Data(e)["lines"]![0]!["title"] = "Reserva 529.982.247-25"));

    [Fact]
    public void Validate_BareCpfWithValidCheckDigits_ReportsPersonalDataCpf() =>
        Assert.Equal([PersonalDataCpf], CodesOf(SampleEvents.Sale(), e => Data(e)["store"]!["name"] = "52998224725"));

    [Fact]
    public void Validate_ElevenDigitsFailingCpfCheck_IsNotACpf() =>
        Assert.Empty(CodesOf(SampleEvents.Sale(), e => Data(e)["lines"]![0]!["title"] = "Lote 12345678900"));

    [Fact]
    public void Validate_EmailInEnvelopeSubject_ReportsPersonalDataEmail() =>
        Assert.Equal([PersonalDataEmail], CodesOf(SampleEvents.Sale(), e => e["subject"] = "maria.silva@example.com.br"));

    [Fact]
    public void Validate_PhoneNumber_ReportsPersonalDataPhone() =>
        Assert.Equal([PersonalDataPhone], CodesOf(SampleEvents.Sale(), e => Data(e)["store"]!["city"] = "ligar (11) 98765-4321"));

    [Fact]
    public void Validate_UuidWhoseGroupsAreDigits_IsNotAPhoneOrCpf() =>
        Assert.Empty(CodesOf(SampleEvents.Sale(), e => e["subject"] = "0000ab45-1234-5678-9012-345678901234"));

    [Fact]
    public void Validate_CpfField_ReportsPersonalDataFieldAndExtraProperty()
    {
        var codes = CodesOf(SampleEvents.Sale(), e => Data(e)["customer"]!["cpf"] = "529.982.247-25");
        Assert.Equal([PersonalDataCpf, PersonalDataField, SchemaAdditionalProperty], codes);
    }

    [Fact]
    public void Validate_ExtraField_ReportsSchemaAdditionalProperty() =>
        Assert.Equal([SchemaAdditionalProperty], CodesOf(SampleEvents.Sale(), e => Data(e)["coupon"] = "PROMO10"));

    [Fact]
    public void Validate_MissingRequiredField_ReportsSchemaRequired() =>
        Assert.Equal([SchemaRequired], CodesOf(SampleEvents.Sale(), e => Data(e).AsObject().Remove("employee")));

    [Fact]
    public void Validate_InstallmentsWithCash_ReportsSchemaAnyOf() =>
        Assert.Equal([SchemaAnyOf], CodesOf(SampleEvents.Sale(), e => Data(e)["payment"]!["method"] = "cash"));

    [Fact]
    public void Validate_RefusedEventWithQuantityAsAsked_IsValid() =>
        Assert.Empty(CodesOf(SampleEvents.Refused(), e => Data(e)["lines"]![0]!["quantity"] = 0));

    [Fact]
    public void Validate_SeveralProblems_ReportsEveryOne()
    {
        var e = SampleEvents.Sale();
        Data(e)["currency"] = "USD";
        Data(e)["lines"]![1]!["quantity"] = -1;
        Data(e)["payment"]!["amount"] = 1m;
        Data(e)["occurred_at"] = "2030-01-01T00:00:00Z";
        Data(e)["lines"]![0]!["title"] = "cliente 529.982.247-25";
        e["specversion"] = "2.0";
        var errors = Validation.Errors(e);
        Assert.Equal(
            [CurrencyUnsupported, LocalDateMismatch, OccurredAtInFuture, PaymentAmountMismatch, PersonalDataCpf,
             QuantityNotPositive, SpecVersionUnsupported],
            errors.Codes());
        Assert.All(errors, x => Assert.False(string.IsNullOrWhiteSpace(x.Message)));
        Assert.Contains(errors, x => x.Code == QuantityNotPositive && x.Path == "$.data.lines[1].quantity");
    }

    [Fact]
    public void ValidationCodes_EveryCode_IsDocumentedInSinkValidationPage()
    {
        var page = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "docs", "sink-validation.md"));
        var missing = ValidationCodes.All.Where(c => !page.Contains($"`{c}`", StringComparison.Ordinal)).ToList();
        Assert.Empty(missing);
        Assert.Equal(ValidationCodes.All.Count, ValidationCodes.All.Distinct().Count());
    }

    [Theory]
    [InlineData("sale", "line_number")]
    [InlineData("rental", "days")]
    [InlineData("return-late", "late_days")]
    [InlineData("late-fee-payment", "late_days")]
    public void Validate_IntegerFieldWrittenAsString_IsASchemaTypeErrorNotAFault(string kind, string field)
    {
        var e = Valid(kind);
        var holder = field switch
        {
            "line_number" => Data(e)["lines"]![0]!,
            "days" => Data(e)["rental"]!,
            _ => Data(e)["return"]!,
        };
        holder[field] = holder[field]!.ToJsonString();

        var errors = Validation.Errors(e);

        Assert.Contains(errors, x => x.Code == SchemaType && x.Path.EndsWith(field, StringComparison.Ordinal));
    }
}
