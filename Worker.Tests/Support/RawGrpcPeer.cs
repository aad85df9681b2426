using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Tests.Support;

/// <summary>
/// A bare gRPC peer on 127.0.0.1 (h2c, ephemeral port) serving <c>/aion.WorkerProtocol/StreamWorker</c>
/// by hand: it reads the worker's first message, answers with the given message payloads exactly as
/// given (so a test can send bytes no protobuf serializer would produce), keeps the call open until
/// the worker closes it, and ends it with status OK.
/// </summary>
public sealed class RawGrpcPeer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private RawGrpcPeer(WebApplication app, int port)
    {
        _app = app;
        Uri = new Uri($"http://127.0.0.1:{port}");
    }

    public Uri Uri { get; }

    public static async Task<RawGrpcPeer> StartAsync(params byte[][] responses)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapPost("/aion.WorkerProtocol/StreamWorker", context => ServeAsync(context, responses));
        await app.StartAsync().Within();
        return new RawGrpcPeer(app, new Uri(app.Urls.First()).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(new CancellationToken(canceled: true)).Within();
        await _app.DisposeAsync().AsTask().Within();
    }

    private static async Task ServeAsync(HttpContext context, byte[][] responses)
    {
        context.Response.ContentType = "application/grpc";
        var requests = context.Request.BodyReader;
        await ReadMessageAsync(requests, context.RequestAborted);
        foreach (var payload in responses)
        {
            var header = new byte[5];
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(1), (uint)payload.Length);
            await context.Response.BodyWriter.WriteAsync(header, context.RequestAborted);
            await context.Response.BodyWriter.WriteAsync(payload, context.RequestAborted);
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
        try
        {
            while (await ReadMessageAsync(requests, context.RequestAborted))
            {
            }
        }
        catch (Exception)
        {
            // The worker went away.
        }

        context.Response.AppendTrailer("grpc-status", "0");
    }

    /// <summary>Reads one length-prefixed gRPC message; false at the end of the request stream.</summary>
    private static async Task<bool> ReadMessageAsync(PipeReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length >= 5)
            {
                var header = buffer.Slice(0, 5).ToArray();
                var length = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
                if (buffer.Length >= 5 + length)
                {
                    reader.AdvanceTo(buffer.GetPosition(5 + length));
                    return true;
                }
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return false;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
