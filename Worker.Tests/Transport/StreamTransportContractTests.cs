using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;
using Aion.Worker.Tests.Streams;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Transport;

/// <summary>The transport contract over the stream transport: TCP loopback and a Unix domain socket, on the real clock.</summary>
[TestFixture("tcp")]
[TestFixture("unix")]
public sealed class StreamTransportContractTests(string connector) : TransportContractTests
{
    protected override Task<TransportPair> CreatePairAsync(InMemoryEngineOptions engineOptions, Action<AionWorkerBuilder> builder, AionWorkerOptions options)
    {
        // Real sockets on the real clock: the fake-time defaults (20 ms) are too tight for a cold start.
        options.RegisterTimeout = TimeSpan.FromSeconds(5);
        options.SendTimeout = TimeSpan.FromSeconds(5);
        var engine = new InMemoryEngine(engineOptions);
        var logs = new FakeLogCollector();
        var worker = AionWorker.CreateBuilder(options).UseLoggerFactory(TestLogs.Factory(logs));
        StreamEngineServer server;
        if (connector == "tcp")
        {
            server = StreamEngineServer.ListenTcp(engine);
            worker.UseTcp("127.0.0.1", server.Port);
        }
        else
        {
            var path = Path.Combine(Path.GetTempPath(), $"aion-contract-{Guid.NewGuid():N}.sock");
            server = StreamEngineServer.ListenUnixSocket(engine, path);
            worker.UseUnixSocket(path);
        }

        builder(worker);
        var transport = connector == "tcp" ? StreamTransport.Tcp("127.0.0.1", server.Port) : StreamTransport.UnixSocket(server.UnixSocketPath!);
        return Task.FromResult(new TransportPair(worker.Build(), transport, engine, TimeProvider.System, logs, server));
    }

    /// <remarks>The peer is a pipe: the connector only supplies the stream, the framing under test is the same.</remarks>
    protected override async Task<RawPeerSession?> OpenSessionToRawPeerAsync(params byte[][] responses)
    {
        var (worker, engine) = DuplexPipeStream.CreatePair();
        var session = await new StreamTransport(_ => ValueTask.FromResult<Stream>(worker)).ConnectAsync(ContractMetadata, CancellationToken.None).AsTask().Within();
        // Written in the background: a large response waits for the worker to read (the pipe pushes back).
        _ = Task.Run(async () =>
        {
            foreach (var payload in responses)
            {
                await engine.WriteAsync(RawFrames.Frame(StreamFrameKind.Message, payload)).AsTask().Within();
            }
        });

        return new RawPeerSession(session, engine);
    }
}
