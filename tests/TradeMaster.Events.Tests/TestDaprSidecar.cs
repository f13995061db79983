using System.Collections.Concurrent;
using System.Net;
using Dapr.Client.Autogen.Grpc.v1;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TradeMaster.Events.Tests;

/// <summary>One PublishEvent call as the sidecar received it.</summary>
internal sealed record ReceivedPublish(string PubsubName, string Topic, byte[] Data, string DataContentType, IReadOnlyDictionary<string, string> Metadata);

/// <summary>
/// Stands in for the Dapr sidecar: a Kestrel gRPC server on 127.0.0.1 that serves the runtime's
/// <c>dapr.proto.runtime.v1.Dapr/PublishEvent</c> method, records every call and can be told to answer Unavailable,
/// as a sidecar that lost its broker does. The real Dapr SDK talks to it over loopback.
/// </summary>
internal sealed class TestDaprSidecar : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestDaprSidecar(WebApplication app, SidecarState state, string endpoint)
    {
        _app = app;
        State = state;
        GrpcEndpoint = endpoint;
    }

    public SidecarState State { get; }

    public string GrpcEndpoint { get; }

    public static async Task<TestDaprSidecar> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Logging.ClearProviders();
        var state = new SidecarState();
        builder.Services.AddSingleton(state);
        builder.Services.AddGrpc();
        var app = builder.Build();
        app.MapGrpcService<DaprRuntimeStub>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new TestDaprSidecar(app, state, address.Replace("[::1]", "127.0.0.1", StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

internal sealed class SidecarState
{
    public ConcurrentQueue<ReceivedPublish> Accepted { get; } = new();

    public int Refused => _refused;

    private int _refused;

    /// <summary>While set, every publish is answered with this status, as a sidecar whose broker is down.</summary>
    public StatusCode? FailWith { get; set; }

    internal void CountRefusal() => Interlocked.Increment(ref _refused);
}

/// <summary>
/// The runtime's gRPC service base, bound by hand the way protoc's generated server code does it: Dapr.Protos ships
/// only client stubs, so the method descriptor is built here from its full name and the SDK's protobuf messages.
/// </summary>
[BindServiceMethod(typeof(DaprRuntimeServiceBase), nameof(BindService))]
internal abstract class DaprRuntimeServiceBase
{
    public const string ServiceName = "dapr.proto.runtime.v1.Dapr";

    private static readonly Method<PublishEventRequest, Empty> PublishEventMethod = new(
        MethodType.Unary,
        ServiceName,
        "PublishEvent",
        Marshallers.Create(r => r.ToByteArray(), PublishEventRequest.Parser.ParseFrom),
        Marshallers.Create(r => r.ToByteArray(), Empty.Parser.ParseFrom));

    public static void BindService(ServiceBinderBase binder, DaprRuntimeServiceBase? service) =>
        binder.AddMethod(PublishEventMethod, service is null ? null : service.PublishEvent);

    public virtual Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context) =>
        throw new RpcException(new Status(StatusCode.Unimplemented, "PublishEvent"));
}

internal sealed class DaprRuntimeStub(SidecarState state) : DaprRuntimeServiceBase
{
    public override Task<Empty> PublishEvent(PublishEventRequest request, ServerCallContext context)
    {
        if (state.FailWith is { } status)
        {
            state.CountRefusal();
            throw new RpcException(new Status(status, "test sidecar: pub/sub component unavailable"));
        }
        state.Accepted.Enqueue(new ReceivedPublish(
            request.PubsubName,
            request.Topic,
            request.Data.ToByteArray(),
            request.DataContentType,
            request.Metadata.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal)));
        return Task.FromResult(new Empty());
    }
}
