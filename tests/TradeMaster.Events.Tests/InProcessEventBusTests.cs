using System.Runtime.CompilerServices;
using TradeMaster.Contracts.Events;
using TradeMaster.Testing;

namespace TradeMaster.Events.Tests;

/// <summary>The embedded mode's transport: calls out at once keep their order, and each completes with its own events.</summary>
public sealed class InProcessEventBusTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task PublishAsync_TwoCallsOut_DeliversInCallOrderAndEachCompletesWithItsOwnEvents()
    {
        using var bus = new InProcessEventBus();
        var first = TestEvents.ForStores(3, "first", 3);
        var second = TestEvents.ForStores(2, "second", 3);

        var publishingFirst = bus.PublishAsync(first, CancellationToken.None);
        var publishingSecond = bus.PublishAsync(second, CancellationToken.None);
        var received = await ReceiveAsync(bus, first.Count + second.Count);

        Assert.Equal(first.Concat(second).Select(e => e.Id), received.Select(d => d.Event.Id));
        foreach (var d in received.Skip(first.Count)) d.Acknowledge();
        await publishingSecond.WaitAsync(Wait);
        Assert.False(publishingFirst.IsCompleted);
        foreach (var d in received.Take(first.Count - 1)) d.Acknowledge();
        Assert.False(publishingFirst.IsCompleted);
        received[first.Count - 1].Acknowledge();
        await publishingFirst.WaitAsync(Wait);
    }

    [Fact]
    public async Task PublishAsync_OneDeliveryFails_FailsOnceEveryDeliveryOfTheCallHasEnded()
    {
        using var bus = new InProcessEventBus();
        var events = TestEvents.ForStores(3, "fail", 3);
        var publishing = bus.PublishAsync(events, CancellationToken.None);
        var received = await ReceiveAsync(bus, events.Count);

        received[0].Fail(new IOException("lake down (test)"));
        received[0].Acknowledge(); // a delivery ends once: this changes nothing
        received[1].Acknowledge();
        Assert.False(publishing.IsCompleted);
        received[2].Acknowledge();

        var error = await Assert.ThrowsAsync<IOException>(() => publishing.WaitAsync(Wait));
        Assert.Equal("lake down (test)", error.Message);
    }

    [Fact]
    public async Task TakeEvent_SinkTookTheEvent_NeitherTheDeliveryNorThePublisherKeepsItAlive()
    {
        using var bus = new InProcessEventBus();
        var (publishing, json) = Publish(bus);
        var delivery = Assert.Single(await ReceiveAsync(bus, 1));

        Assert.True(TakeAndCompare(delivery, json));
        Assert.Throws<InvalidOperationException>(() => delivery.Event);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();

        // The call is still waiting for the acknowledgement, and the event's bytes are gone.
        Assert.False(publishing.IsCompleted);
        Assert.False(json.TryGetTarget(out _));
        delivery.Acknowledge();
        await publishing.WaitAsync(Wait);
    }

    /// <summary>Publishes one event whose bytes only the bus holds from here on.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static (Task Publishing, WeakReference<byte[]> Json) Publish(InProcessEventBus bus)
    {
        var e = Assert.Single(TestEvents.ForStores(1, "weak", 1));
        var bytes = e.Json.ToArray();
        return (bus.PublishAsync([e with { Json = bytes }], CancellationToken.None), new WeakReference<byte[]>(bytes));
    }

    /// <summary>The sink's side: takes the event and reads it, in a frame of its own that holds nothing afterwards.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TakeAndCompare(InProcessDelivery delivery, WeakReference<byte[]> json) =>
        json.TryGetTarget(out var bytes) && delivery.TakeEvent().Json.Span.SequenceEqual(bytes);

    private static async Task<List<InProcessDelivery>> ReceiveAsync(InProcessEventBus bus, int count)
    {
        var received = new List<InProcessDelivery>();
        await Poll.UntilAsync(() =>
        {
            while (bus.Reader.TryRead(out var d)) received.Add(d);
            return received.Count == count;
        }, Wait, $"{count} deliveries arrived");
        return received;
    }
}
