namespace TradeMaster.Sink.Validation;

/// <summary>One reason a message was refused. <see cref="Code"/> is stable (docs/sink-validation.md); the path is JSONPath-like.</summary>
public sealed record ValidationError(string Code, string Path, string Message);
