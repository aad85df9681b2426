using Aion.Worker.Protocol;
using Aion.Worker.Transport.Grpc;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aion.Worker.Benchmarks.Load;

internal static partial class LoadDriver
{
    private static Task<LoadResult> OtherTransportAsync(string transport, string workload, int concurrency, int tasks) => transport switch
    {
        "streams" => StreamsAsync(workload, concurrency, tasks),
        "grpc" => GrpcAsync(workload, concurrency, tasks),
        "grpc-raw" => RawGrpcAsync(workload, concurrency, tasks),
        _ => throw new ArgumentException($"Unknown transport '{transport}' (known: inmemory, streams, grpc, grpc-raw)."),
    };

    /// <summary>The same in-memory engine behind a TCP loopback socket: the stream transport's framing, pipes and syscalls are what differ.</summary>
    private static async Task<LoadResult> StreamsAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        await using var server = StreamEngineServer.ListenTcp(engine);
        var worker = Worker(concurrency).UseTcp("127.0.0.1", server.Port).Build();
        return await DriveAsync("streams (TCP loopback)", engine, worker, workload, concurrency, tasks);
    }

    /// <summary>The same in-memory engine behind Kestrel (h2c on loopback), the worker on the gRPC transport.</summary>
    private static async Task<LoadResult> GrpcAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        await using var server = await GrpcEngineServer.StartAsync(engine);
        var worker = Worker(concurrency).UseGrpc(server.Uri).Build();
        return await DriveAsync("gRPC (h2c loopback)", engine, worker, workload, concurrency, tasks);
    }

    /// <summary>
    /// The practical limit: the same engine, server and messages, but the worker is a bare
    /// Grpc.Net.Client <c>StreamWorker</c> call — register, then for every task write a result
    /// carrying its input back (no decoding, no tracking, no concurrency control). The engine acks
    /// every result exactly as in the SDK run; the raw client reads and ignores the acks.
    /// </summary>
    private static async Task<LoadResult> RawGrpcAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        await using var server = await GrpcEngineServer.StartAsync(engine);
        return await DriveAsync("raw gRPC baseline", engine, token => RawClientAsync(server.Uri, token), workload, concurrency, tasks);
    }

    private static async Task RawClientAsync(Uri uri, CancellationToken cancellationToken)
    {
        using var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null });
        var client = new WorkerProtocol.WorkerProtocolClient(channel);
        using var call = client.StreamWorker(cancellationToken: CancellationToken.None);
        var register = new RegisterWorker { TaskQueue = "bench" };
        register.ActivityTypes.Add(Json);
        register.ActivityTypes.Add(NoOp);
        await call.RequestStream.WriteAsync(new WorkerToServer { Register = register });
        try
        {
            while (await call.ResponseStream.MoveNext(cancellationToken))
            {
                var frame = call.ResponseStream.Current;
                if (frame.MessageCase != ServerToWorker.MessageOneofCase.Task)
                {
                    continue;
                }

                var task = frame.Task;
                await call.RequestStream.WriteAsync(new WorkerToServer
                {
                    Result = new ActivityResult { WorkflowId = task.WorkflowId, ActivityId = task.ActivityId, Result = task.Input },
                });
            }
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
