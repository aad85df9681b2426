using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.Grpc;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Transport;

/// <summary>The transport contract over real gRPC: the same engine behind Kestrel on 127.0.0.1, on the real clock.</summary>
public sealed class GrpcTransportContractTests : TransportContractTests
{
    protected override async Task<TransportPair> CreatePairAsync(InMemoryEngineOptions engineOptions, Action<AionWorkerBuilder> builder, AionWorkerOptions options)
    {
        // Real sockets on the real clock: the fake-time defaults (20 ms) are too tight for a cold start.
        options.RegisterTimeout = TimeSpan.FromSeconds(5);
        options.SendTimeout = TimeSpan.FromSeconds(5);
        var engine = new InMemoryEngine(engineOptions);
        var host = await GrpcEngineHost.StartAsync(engine).Within();
        var logs = new FakeLogCollector();
        var worker = AionWorker.CreateBuilder(options)
            .UseGrpc(host.Uri)
            .UseLoggerFactory(TestLogs.Factory(logs));
        builder(worker);
        return new TransportPair(worker.Build(), new GrpcWorkerTransport(host.Uri), engine, TimeProvider.System, logs, host);
    }

    protected override async Task<RawPeerSession?> OpenSessionToRawPeerAsync(params byte[][] responses)
    {
        var peer = await RawGrpcPeer.StartAsync(responses);
        var session = await new GrpcWorkerTransport(peer.Uri).ConnectAsync(ContractMetadata, CancellationToken.None).AsTask().Within();
        return new RawPeerSession(session, peer);
    }
}
