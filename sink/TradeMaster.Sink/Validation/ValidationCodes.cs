namespace TradeMaster.Sink.Validation;

/// <summary>
/// Stable codes of the rejected set. They are queried by analysts and alerting, so they are never renamed;
/// docs/sink-validation.md explains each one and a test keeps that page and this list equal.
/// </summary>
public static class ValidationCodes
{
    // Transport and envelope.
    public const string ContentTypeUnsupported = "content_type_unsupported";
    public const string PushEnvelopeInvalid = "push_envelope_invalid";
    public const string JsonInvalid = "json_invalid";
    public const string EnvelopeNotObject = "envelope_not_object";
    public const string EnvelopeFieldMissing = "envelope_field_missing";
    public const string EnvelopeFieldInvalid = "envelope_field_invalid";
    public const string SpecVersionUnsupported = "specversion_unsupported";
    public const string EventIdInvalid = "event_id_invalid";
    public const string EventTypeUnknown = "event_type_unknown";
    public const string EventVersionUnsupported = "event_version_unsupported";
    public const string DataContentTypeUnsupported = "datacontenttype_unsupported";

    // Structure (JSON Schema of contracts/).
    public const string SchemaRequired = "schema_required";
    public const string SchemaAdditionalProperty = "schema_additional_property";
    public const string SchemaType = "schema_type";
    public const string SchemaFormat = "schema_format";
    public const string SchemaEnum = "schema_enum";
    public const string SchemaPattern = "schema_pattern";
    public const string SchemaRange = "schema_range";
    public const string SchemaAnyOf = "schema_any_of";
    public const string SchemaViolation = "schema_violation";

    // Data rules.
    public const string IdInvalid = "id_invalid";
    public const string QuantityNotPositive = "quantity_not_positive";
    public const string UnitPriceNegative = "unit_price_negative";
    public const string DiscountNegative = "discount_negative";
    public const string LineNumberInvalid = "line_number_invalid";
    public const string LineTotalMismatch = "line_total_mismatch";
    public const string TotalMismatch = "total_mismatch";
    public const string PaymentAmountMismatch = "payment_amount_mismatch";
    public const string UnitPriceMismatch = "unit_price_mismatch";
    public const string CurrencyUnsupported = "currency_unsupported";
    public const string OccurredAtInFuture = "occurred_at_in_future";
    public const string LocalDateMismatch = "local_date_mismatch";
    public const string StoreTimezoneUnknown = "store_timezone_unknown";
    public const string RentalPeriodOutOfRange = "rental_period_out_of_range";
    public const string RentalDueDateInvalid = "rental_due_date_invalid";
    public const string RentalIdMismatch = "rental_id_mismatch";
    public const string ReturnBeforeRentalStart = "return_before_rental_start";
    public const string LateFeeMismatch = "late_fee_mismatch";
    public const string LateFeeIncoherent = "late_fee_incoherent";

    // Personal data: the CPF and contact data never leave PostgreSQL.
    public const string PersonalDataCpf = "personal_data_cpf";
    public const string PersonalDataEmail = "personal_data_email";
    public const string PersonalDataPhone = "personal_data_phone";
    public const string PersonalDataField = "personal_data_field";

    public static IReadOnlyList<string> All { get; } =
    [
        ContentTypeUnsupported, PushEnvelopeInvalid, JsonInvalid, EnvelopeNotObject, EnvelopeFieldMissing, EnvelopeFieldInvalid,
        SpecVersionUnsupported, EventIdInvalid, EventTypeUnknown, EventVersionUnsupported, DataContentTypeUnsupported,
        SchemaRequired, SchemaAdditionalProperty, SchemaType, SchemaFormat, SchemaEnum, SchemaPattern, SchemaRange,
        SchemaAnyOf, SchemaViolation,
        IdInvalid, QuantityNotPositive, UnitPriceNegative, DiscountNegative, LineNumberInvalid, LineTotalMismatch,
        TotalMismatch, PaymentAmountMismatch, UnitPriceMismatch, CurrencyUnsupported, OccurredAtInFuture,
        LocalDateMismatch, StoreTimezoneUnknown, RentalPeriodOutOfRange, RentalDueDateInvalid, RentalIdMismatch,
        ReturnBeforeRentalStart, LateFeeMismatch, LateFeeIncoherent,
        PersonalDataCpf, PersonalDataEmail, PersonalDataPhone, PersonalDataField,
    ];
}
