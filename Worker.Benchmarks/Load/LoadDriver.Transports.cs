using Aion.Worker.Protocol;
using Aion.Worker.Transport.Grpc;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;
using Grpc.Core;
using Aion.Worker.Transport.Grpc.Internal;
using Grpc.Net.Client;
using System.Net.Http;

namespace Aion.Worker.Benchmarks.Load;

internal static partial class LoadDriver
{
    private static Task<LoadResult> OtherTransportAsync(string transport, string workload, int concurrency, int tasks) => transport switch
    {
        "streams" => StreamsAsync(workload, concurrency, tasks),
        "grpc" => GrpcAsync(workload, concurrency, tasks),
        "grpc-raw" => RawGrpcAsync(workload, concurrency, tasks),
        "grpc-batched" => BatchedGrpcAsync(workload, concurrency, tasks),
        _ => throw new ArgumentException($"Unknown transport '{transport}' (known: {string.Join(", ", LoadCommand.Transports)})."),
    };

    private static string Label(string transport) => transport switch
    {
        "streams" => "streams (TCP loopback)",
        "grpc" => "gRPC (h2c loopback)",
        "grpc-raw" => "raw gRPC baseline",
        "grpc-batched" => "raw gRPC, batched writes",
        _ => transport,
    };

    /// <summary>
    /// A <c>--worker-process</c> row: the engine (and its server) in this process, the worker or bare
    /// client in a child; the row's CPU, bytes and work items per task are the child's.
    /// </summary>
    private static async Task<LoadResult> ChildRowAsync(string transport, string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        if (transport == "streams")
        {
            await using var streams = StreamEngineServer.ListenTcp(engine);
            return await DriveChildAsync(engine, new ChildSettings(transport, streams.Port.ToString(System.Globalization.CultureInfo.InvariantCulture), concurrency, workload == "noop-inline"), workload, tasks);
        }

        await using var server = await GrpcEngineServer.StartAsync(engine);
        return await DriveChildAsync(engine, new ChildSettings(transport, server.Uri.ToString(), concurrency, workload == "noop-inline"), workload, tasks);
    }

    private static async Task<LoadResult> DriveChildAsync(InMemoryEngine engine, ChildSettings settings, string workload, int tasks)
    {
        await using var child = ChildProcess.Start(settings);
        return await DriveAsync(Label(settings.Variant), engine, _ => Task.CompletedTask, workload, settings.Concurrency, tasks, child);
    }

    /// <summary>The batched bare loop behind Kestrel, in this process.</summary>
    private static async Task<LoadResult> BatchedGrpcAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        await using var server = await GrpcEngineServer.StartAsync(engine);
        return await DriveAsync(Label("grpc-batched"), engine, token => BatchedRawClientAsync(server.Uri, token), workload, concurrency, tasks);
    }

    /// <summary>
    /// The bare in-memory client: the in-memory transport's session driven directly — register, then
    /// for every task a result carrying its input back, flushed when no further task is buffered. The
    /// in-memory row minus this one is what the worker itself costs.
    /// </summary>
    private static async Task<LoadResult> InMemoryRawAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        return await DriveAsync("bare in-memory client", engine, token => BareInMemoryClientAsync(engine, token), workload, concurrency, tasks);
    }

    private static async Task BareInMemoryClientAsync(InMemoryEngine engine, CancellationToken cancellationToken)
    {
        var session = await engine.CreateTransport().ConnectAsync(new Transport.WorkerSessionMetadata([], string.Empty, null), cancellationToken);
        await using (session.ConfigureAwait(false))
        {
            var register = new RegisterWorker { TaskQueue = "bench" };
            register.ActivityTypes.Add(Json);
            register.ActivityTypes.Add(NoOp);
            await session.SendAsync(new WorkerToServer { Register = register }, cancellationToken);
            await session.FlushAsync(cancellationToken);
            try
            {
                while (true)
                {
                    if (!session.TryReceive(out var frame))
                    {
                        await session.FlushAsync(cancellationToken);
                        frame = await session.ReceiveAsync(cancellationToken);
                    }

                    if (frame.IsEndOfStream)
                    {
                        return;
                    }

                    if (frame.Message is { MessageCase: ServerToWorker.MessageOneofCase.Task } message)
                    {
                        var task = message.Task;
                        await session.SendAsync(new WorkerToServer { Result = new ActivityResult { WorkflowId = task.WorkflowId, ActivityId = task.ActivityId, Result = task.Input } }, cancellationToken);
                    }
                }
            }
            catch (Exception) when (cancellationToken.IsCancellationRequested)
            {
            }
        }
    }

    /// <summary>The same in-memory engine behind a TCP loopback socket: the stream transport's framing, pipes and syscalls are what differ.</summary>
    private static async Task<LoadResult> StreamsAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        await using var server = StreamEngineServer.ListenTcp(engine);
        var worker = Worker(concurrency, inline: workload == "noop-inline").UseTcp("127.0.0.1", server.Port).Build();
        return await DriveAsync("streams (TCP loopback)", engine, worker, workload, concurrency, tasks);
    }

    /// <summary>The same in-memory engine behind Kestrel (h2c on loopback), the worker on the gRPC transport.</summary>
    private static async Task<LoadResult> GrpcAsync(string workload, int concurrency, int tasks)
    {
        var engine = new InMemoryEngine(new InMemoryEngineOptions { RecordFrames = false, HeartbeatWindow = TimeSpan.Zero });
        await using var server = await GrpcEngineServer.StartAsync(engine);
        var worker = Worker(concurrency, inline: workload == "noop-inline").UseGrpc(server.Uri).Build();
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

    /// <summary>
    /// The bare loop that batches the way the SDK's gRPC transport does: the same Grpc.Net.Client call
    /// with the transport's coalescing request body; results are written back to back and flushed
    /// once whenever no further task is already buffered. The physical limit for this machine.
    /// </summary>
    internal static async Task BatchedRawClientAsync(Uri uri, CancellationToken cancellationToken)
    {
        var body = new CoalescingRequestBody();
        using var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            HttpHandler = new CoalescingRequestBody.Handler(new SocketsHttpHandler { EnableMultipleHttp2Connections = false }, body),
            DisposeHttpClient = true,
            MaxReceiveMessageSize = null,
            MaxSendMessageSize = null,
        });
        var client = new WorkerProtocol.WorkerProtocolClient(channel);
        using var call = client.StreamWorker(cancellationToken: CancellationToken.None);
        var register = new RegisterWorker { TaskQueue = "bench" };
        register.ActivityTypes.Add(Json);
        register.ActivityTypes.Add(NoOp);
        await call.RequestStream.WriteAsync(new WorkerToServer { Register = register });
        await body.FlushPendingAsync(cancellationToken);
        try
        {
            while (true)
            {
                var move = call.ResponseStream.MoveNext(cancellationToken);
                if (!move.IsCompleted)
                {
                    await body.FlushPendingAsync(cancellationToken);
                }

                if (!await move)
                {
                    return;
                }

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

    internal static async Task RawClientAsync(Uri uri, CancellationToken cancellationToken)
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
