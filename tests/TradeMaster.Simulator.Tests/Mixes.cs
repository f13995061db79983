using Microsoft.Extensions.Time.Testing;
using TradeMaster.Contracts.Ledger;
using TradeMaster.Db.Seed;

namespace TradeMaster.Simulation.Tests;

/// <summary>Mixes over the default seed data, shared because regenerating the seed data costs a second per call.</summary>
internal static class Mixes
{
    public static readonly Guid RunId = new("1e6a4c55-0d0b-4c1f-9a57-6a1f3f1d2c11");

    private static readonly Lazy<SeedData> DefaultSeed = new(() => SeedDataGenerator.Generate());

    public static SeedData Seed => DefaultSeed.Value;

    public static FakeTimeProvider Clock() => new(new DateTimeOffset(2025, 3, 14, 15, 0, 0, TimeSpan.Zero));

    public static TrafficMix Create(double malformedShare = 0.03, Guid? runId = null, int? seed = null, TimeProvider? time = null) =>
        new(seed is { } other ? SeedDataGenerator.Generate(new SeedOptions { Seed = other }) : Seed, new TrafficMixOptions
        {
            Seed = seed ?? new SeedOptions().Seed,
            MalformedShare = malformedShare,
            RunId = runId ?? RunId,
            Time = time ?? Clock(),
        });

    /// <summary>
    /// Draws <paramref name="count"/> requests, answering each as a server that accepts every transaction would
    /// (201, receipt time from the fake clock, which advances a second per request). An accepted return leaves a late
    /// fee owed where <paramref name="lateFeeOwed"/> says so (by default none does).
    /// </summary>
    public static List<SimulatedRequest> Drive(TrafficMix mix, int count, FakeTimeProvider? clock = null, Func<SimulatedRequest, int>? status = null,
        Func<SimulatedRequest, bool>? lateFeeOwed = null)
    {
        var requests = new List<SimulatedRequest>(count);
        for (var i = 0; i < count; i++)
        {
            var request = mix.Next();
            requests.Add(request);
            clock?.Advance(TimeSpan.FromSeconds(1));
            var answer = status?.Invoke(request) ?? (request.IsMalformed ? 400 : 201);
            mix.Report(request, answer, clock?.GetUtcNow(), request.Kind == TrafficKind.Return && (lateFeeOwed?.Invoke(request) ?? false));
        }
        return requests;
    }

    /// <summary>
    /// A stand-in for the ledger's late fees that depends on the request alone: a return without a payment leaves a
    /// fee owed, except every third one (by sequence), which came back on time; a return with a payment settled its
    /// fee on the spot.
    /// </summary>
    public static bool LeavesLateFeeOwed(SimulatedRequest request) =>
        request.Command is ReturnCommand { Payment: null } && request.Sequence % 3 != 0;
}
