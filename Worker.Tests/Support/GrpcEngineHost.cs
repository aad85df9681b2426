using System.Collections.Concurrent;
using System.Net;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Tests.Support;

/// <summary>
/// A real gRPC Aion engine in the test process: Kestrel on 127.0.0.1 (ephemeral port, h2c) serving
/// <c>WorkerProtocol</c> with an <see cref="InMemoryEngine"/>, so the engine's scripts drive the gRPC
/// transport exactly as they drive the in-memory one. Can be stopped and restarted on the same port.
/// </summary>
public sealed class GrpcEngineHost : IAsyncDisposable
{
    private const int BindAttempts = 40;
    private static readonly TimeSpan BindRetryDelay = TimeSpan.FromMilliseconds(50);

    private readonly Action<KestrelServerOptions>? _configureKestrel;
    private readonly HttpsConnectionAdapterOptions? _https;
    private readonly ConcurrentDictionary<HttpContext, byte> _calls = new();
    private readonly ConcurrentQueue<Metadata> _requestHeaders = new();
    private WebApplication? _app;

    private GrpcEngineHost(InMemoryEngine engine, Action<KestrelServerOptions>? configureKestrel, HttpsConnectionAdapterOptions? https)
    {
        Engine = engine;
        _configureKestrel = configureKestrel;
        _https = https;
    }

    public InMemoryEngine Engine { get; }

    /// <summary>The port Kestrel bound (kept across restarts).</summary>
    public int Port { get; private set; }

    /// <summary>How many binds failed and were retried by <see cref="RestartAsync"/>.</summary>
    public int BindRetries { get; private set; }

    /// <summary>The engine's address, <c>http://127.0.0.1:port</c> (<c>https://</c> when the host serves TLS).</summary>
    public Uri Uri => new($"{(_https is null ? "http" : "https")}://127.0.0.1:{Port}");

    /// <summary>Whether the service sends response headers as soon as a call starts (before reading anything).</summary>
    public bool SendHeadersOnStart { get; set; }

    /// <summary>Wraps each call's engine stream (e.g. to stop reading).</summary>
    public Func<IEngineConnection, IEngineConnection>? WrapStream { get; set; }

    /// <summary>The request headers of every call, in arrival order.</summary>
    public IReadOnlyList<Metadata> RequestHeaders => [.. _requestHeaders];

    /// <param name="https">When set, the host serves TLS (HTTP/2 negotiated by ALPN) with these settings instead of h2c.</param>
    public static async Task<GrpcEngineHost> StartAsync(InMemoryEngine engine, Action<KestrelServerOptions>? configureKestrel = null, HttpsConnectionAdapterOptions? https = null)
    {
        var host = new GrpcEngineHost(engine, configureKestrel, https);
        await host.StartOnAsync(0).Within();
        return host;
    }

    /// <summary>Kills every open call (RST_STREAM, as a crashing engine would) while the server keeps listening.</summary>
    public void AbortCalls()
    {
        foreach (var call in _calls.Keys)
        {
            try
            {
                call.Abort();
            }
            catch (ObjectDisposedException)
            {
                // The call ended between the snapshot and the abort: Kestrel already disposed its context; nothing to kill.
            }
        }
    }

    /// <summary>Stops the server abruptly: open calls are killed, the port is released.</summary>
    public async Task StopAsync()
    {
        var app = Interlocked.Exchange(ref _app, null);
        if (app is null)
        {
            return;
        }

        AbortCalls();

        // An already-cancelled token: no graceful shutdown, every connection is aborted at once (a crash).
        await app.StopAsync(new CancellationToken(canceled: true)).Within();
        await app.DisposeAsync().AsTask().Within();
    }

    /// <summary>Starts the server again on the same port (retrying a bounded number of times while the port is still held).</summary>
    public async Task RestartAsync()
    {
        await StopAsync();
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await StartOnAsync(Port).Within();
                return;
            }
            catch (IOException) when (attempt < BindAttempts)
            {
                BindRetries++;
                await Task.Delay(BindRetryDelay);
            }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task StartOnAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http2;
                if (_https is not null)
                {
                    listen.UseHttps(_https);
                }
            });
            _configureKestrel?.Invoke(kestrel);
        });
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = TimeSpan.FromSeconds(1));
        builder.Services.AddGrpc(options =>
        {
            options.EnableDetailedErrors = true;
            options.MaxReceiveMessageSize = null;
            options.MaxSendMessageSize = null;
        });
        builder.Services.AddSingleton(this);
        var app = builder.Build();
        app.MapGrpcService<EngineService>();
        try
        {
            await app.StartAsync();
        }
        catch
        {
            await app.DisposeAsync();
            throw;
        }

        Port = new Uri(app.Urls.First()).Port;
        _app = app;
    }

    private static WorkerSessionMetadata ToMetadata(Metadata headers)
    {
        var namespaces = headers.GetValue(WorkerSessionMetadata.Headers.Namespaces);
        var subject = headers.GetValue(WorkerSessionMetadata.Headers.Subject) ?? string.Empty;
        var authorization = headers.GetValue(WorkerSessionMetadata.Headers.Authorization);
        var token = authorization is not null && authorization.StartsWith("Bearer ", StringComparison.Ordinal) ? authorization["Bearer ".Length..] : null;
        return new WorkerSessionMetadata(string.IsNullOrEmpty(namespaces) ? [] : namespaces.Split(','), subject, token);
    }

    /// <summary>The engine's gRPC service: one <see cref="InMemoryEngine.ServeAsync"/> per call.</summary>
    internal sealed class EngineService(GrpcEngineHost host) : WorkerProtocol.WorkerProtocolBase
    {
        public override async Task StreamWorker(IAsyncStreamReader<WorkerToServer> requestStream, IServerStreamWriter<ServerToWorker> responseStream, ServerCallContext context)
        {
            var http = context.GetHttpContext();
            host._calls.TryAdd(http, 0);
            host._requestHeaders.Enqueue(context.RequestHeaders);
            try
            {
                if (host.SendHeadersOnStart)
                {
                    await context.WriteResponseHeadersAsync([]);
                }

                IEngineConnection stream = new CallStream(requestStream, responseStream, context, ToMetadata(context.RequestHeaders));
                if (host.WrapStream is { } wrap)
                {
                    stream = wrap(stream);
                }

                var status = await host.Engine.ServeAsync(stream, context.CancellationToken);
                if (status.StatusCode != StatusCode.OK)
                {
                    throw new RpcException(status);
                }
            }
            finally
            {
                host._calls.TryRemove(http, out _);
            }
        }
    }

    /// <summary>The engine's side of one gRPC call.</summary>
    private sealed class CallStream(
        IAsyncStreamReader<WorkerToServer> requests,
        IServerStreamWriter<ServerToWorker> responses,
        ServerCallContext context,
        WorkerSessionMetadata metadata) : IEngineConnection
    {
        public WorkerSessionMetadata Metadata { get; } = metadata;

        public async ValueTask<WorkerToServer?> ReadAsync(CancellationToken cancellationToken) =>
            await requests.MoveNext(cancellationToken) ? requests.Current : null;

        public async ValueTask WriteAsync(ServerToWorker frame, CancellationToken cancellationToken) =>
            await responses.WriteAsync(frame, cancellationToken);

        public async ValueTask SendHeadersAsync(CancellationToken cancellationToken) =>
            await context.WriteResponseHeadersAsync([]);
    }
}

/// <summary>An engine stream that can stop reading the worker (HTTP/2 flow control then pushes back on the worker's writes).</summary>
public sealed class PausableEngineStream(IEngineConnection inner) : IEngineConnection
{
    private volatile TaskCompletionSource? _paused;

    public WorkerSessionMetadata Metadata => inner.Metadata;

    public void Pause() => _paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public void Resume() => Interlocked.Exchange(ref _paused, null)?.TrySetResult();

    public async ValueTask<WorkerToServer?> ReadAsync(CancellationToken cancellationToken)
    {
        if (_paused is { } paused)
        {
            await paused.Task.WaitAsync(cancellationToken);
        }

        return await inner.ReadAsync(cancellationToken);
    }

    public ValueTask WriteAsync(ServerToWorker frame, CancellationToken cancellationToken) => inner.WriteAsync(frame, cancellationToken);

    public ValueTask SendHeadersAsync(CancellationToken cancellationToken) => inner.SendHeadersAsync(cancellationToken);
}
