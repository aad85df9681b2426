using System.Net;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Benchmarks.Load;

/// <summary>An <see cref="InMemoryEngine"/> behind Kestrel on 127.0.0.1 (ephemeral port, h2c), serving <c>WorkerProtocol</c>.</summary>
internal sealed class GrpcEngineServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private GrpcEngineServer(WebApplication app, int port)
    {
        _app = app;
        Uri = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Uri { get; }

    public static async Task<GrpcEngineServer> StartAsync(InMemoryEngine engine)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(options =>
        {
            options.MaxReceiveMessageSize = null;
            options.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(engine);
        var app = builder.Build();
        app.MapGrpcService<EngineService>();
        await app.StartAsync();
        return new GrpcEngineServer(app, new Uri(app.Urls.First()).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }

    private static WorkerSessionMetadata ToMetadata(Metadata headers)
    {
        var namespaces = headers.GetValue(WorkerSessionMetadata.Headers.Namespaces);
        var subject = headers.GetValue(WorkerSessionMetadata.Headers.Subject) ?? string.Empty;
        return new WorkerSessionMetadata(string.IsNullOrEmpty(namespaces) ? [] : namespaces.Split(','), subject, null);
    }

    /// <summary>One <see cref="InMemoryEngine.ServeAsync"/> per call.</summary>
    private sealed class EngineService(InMemoryEngine engine) : WorkerProtocol.WorkerProtocolBase
    {
        public override async Task StreamWorker(IAsyncStreamReader<WorkerToServer> requestStream, IServerStreamWriter<ServerToWorker> responseStream, ServerCallContext context)
        {
            var status = await engine.ServeAsync(new CallStream(requestStream, responseStream, ToMetadata(context.RequestHeaders)), context.CancellationToken);
            if (status.StatusCode != StatusCode.OK)
            {
                throw new RpcException(status);
            }
        }
    }

    private sealed class CallStream(IAsyncStreamReader<WorkerToServer> requests, IServerStreamWriter<ServerToWorker> responses, WorkerSessionMetadata metadata) : IEngineConnection
    {
        public WorkerSessionMetadata Metadata { get; } = metadata;

        public async ValueTask<WorkerToServer?> ReadAsync(CancellationToken cancellationToken) =>
            await requests.MoveNext(cancellationToken) ? requests.Current : null;

        public ValueTask WriteAsync(ServerToWorker frame, CancellationToken cancellationToken) =>
            new(responses.WriteAsync(frame, cancellationToken));
    }
}
