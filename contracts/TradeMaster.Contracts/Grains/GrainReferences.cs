using System.Runtime.CompilerServices;
using Orleans.Runtime;

namespace TradeMaster.Contracts.Grains;

/// <summary>
/// Grain references for the ledger's hot paths. <c>IGrainFactory.GetGrain&lt;T&gt;(long)</c> works out T's grain
/// interface type from T's attributes on every call (Orleans' <c>GrainInterfaceTypeResolver</c> reads them through
/// reflection): 2.2% of the embedded host's CPU at 2,500 tx/s, one call per request in the gateway and one or two
/// per rental in the store grain (docs/performance-log.md). This asks Orleans once per factory and interface, then
/// builds each reference from the grain id, the way Orleans itself does after that look-up.
/// </summary>
public static class GrainReferences
{
    public static TGrain Reference<TGrain>(this IGrainFactory grains, long key) where TGrain : IGrainWithIntegerKey
    {
        var types = Types<TGrain>.For(grains);
        return (TGrain)grains.GetGrain(GrainId.Create(types.GrainType, GrainIdKeyExtensions.CreateIntegerKey(key)), types.InterfaceType);
    }

    private static class Types<TGrain> where TGrain : IGrainWithIntegerKey
    {
        // Per factory: two silos in one process (the tests' clusters, the bench's second host) may map types apart.
        private static readonly ConditionalWeakTable<IGrainFactory, Resolved> ByFactory = new();

        public static Resolved For(IGrainFactory grains) => ByFactory.GetValue(grains, static factory =>
        {
            var reference = (GrainReference)(object)factory.GetGrain<TGrain>(0);
            return new Resolved(reference.GrainId.Type, reference.InterfaceType);
        });
    }

    private sealed record Resolved(GrainType GrainType, GrainInterfaceType InterfaceType);
}
