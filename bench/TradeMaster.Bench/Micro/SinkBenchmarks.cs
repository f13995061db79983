using System.Buffers;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.Options;
using TradeMaster.Sink;
using TradeMaster.Sink.Transform;
using TradeMaster.Sink.Validation;

namespace TradeMaster.Bench.Micro;

/// <summary>The sink's CPU work per event: validate (fast schema path, data rules, personal data scan) + transform to the NDJSON analytics row.</summary>
[MemoryDiagnoser]
public class SinkBenchmarks
{
    private static readonly MessageSource Source = new("inprocess", "transactions", "bench");
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private EventValidator _validator = null!;
    private byte[] _event = null!;

    [Params("sale", "rental", "refused")]
    public string Kind { get; set; } = "sale";

    [GlobalSetup]
    public void Setup()
    {
        _validator = new EventValidator(new ContractSchemas(), Microsoft.Extensions.Options.Options.Create(new SinkOptions()), TimeProvider.System);
        var events = new BenchEvents();
        var id = Guid.CreateVersion7();
        var now = DateTimeOffset.UtcNow;
        _event = Kind switch
        {
            "sale" => events.Sale(id, now),
            "rental" => events.Rental(id, now),
            _ => events.Refused(id, now),
        };
        using var check = _validator.Validate(_event, null);
        if (!check.IsValid) throw new InvalidOperationException($"The {Kind} event is not valid: {string.Join("; ", check.Errors.Select(e => e.Code + " " + e.Path))}");
    }

    [Benchmark]
    public bool Validate()
    {
        using var validated = _validator.Validate(_event, null);
        return validated.IsValid;
    }

    [Benchmark]
    public int ValidateAndTransform()
    {
        using var validated = _validator.Validate(_event, null);
        _output.ResetWrittenCount();
        AnalyticsRow.Write(_output, validated.Document!.RootElement, Source, DateTimeOffset.UtcNow);
        return _output.WrittenCount;
    }
}
