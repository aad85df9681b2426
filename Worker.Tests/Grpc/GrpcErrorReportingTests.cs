using System.Net;
using System.Net.Sockets;
using Aion.Worker.Tests.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Grpc;

/// <summary>
/// Errors say who failed (BEHAVIOUR: retryable vs not): a connection the worker could not open, a
/// connection lost mid-stream and a frame the worker could not decode are reported as what they
/// are, never as "the engine ended the call with status …" (Grpc.Net.Client gives them made-up
/// Unavailable / Internal statuses).
/// </summary>
public sealed class GrpcErrorReportingTests
{
    private const string EngineStatusWording = "The engine ended the call";

    private static AionWorker Worker(Uri endpoint, int maxAttempts, FakeLogCollector? logs = null)
    {
        var options = GrpcHarness.DefaultOptions();
        options.Reconnect.MaxAttempts = maxAttempts;
        return AionWorker.CreateBuilder(options)
            .AddActivity<int, int>("test.double", (value, _) => value * 2)
            .UseGrpc(endpoint)
            .UseLoggerFactory(TestLogs.Factory(logs ?? new FakeLogCollector()))
            .Build();
    }

    /// <summary>A port on 127.0.0.1 that nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    [Test]
    public async Task A_refused_connection_is_a_retryable_connection_error_that_says_the_worker_could_not_connect()
    {
        var endpoint = new Uri($"http://127.0.0.1:{ClosedPort()}");
        var logs = new FakeLogCollector();
        var worker = Worker(endpoint, maxAttempts: 2, logs);

        var error = await RunFailure(worker);

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Connection));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.StartWith($"Could not connect to the engine at {endpoint}").And.Contain("refused"));
        Assert.That(error.Message, Does.Not.Contain(EngineStatusWording));
        Assert.That(logs.GetSnapshot().Count(e => e.Id.Id == 5), Is.EqualTo(1), "the first try was retried once");
    }

    [Test]
    public async Task A_connection_lost_mid_stream_is_reported_as_lost_not_as_an_engine_status()
    {
        await using var harness = await GrpcHarness.CreateAsync(builder => builder.AddActivity<int, int>("test.double", (value, _) => value * 2));
        var starts = 0;
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var ended = new TaskCompletionSource<SessionEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
        harness.Worker.SessionStarted += (_, _) => (Interlocked.Increment(ref starts) == 1 ? started : restarted).TrySetResult();
        harness.Worker.SessionEnded += (_, e) => ended.TrySetResult(e.End);
        harness.Start();
        await started.Task.Within();

        harness.Host.AbortCalls();
        var end = await ended.Task.Within();

        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.Error!.Kind, Is.EqualTo(AionErrorKind.Connection));
        Assert.That(end.Error.IsRetryable, Is.True);
        Assert.That(end.Error.Message, Does.Contain($"engine at {harness.Host.Uri}"));
        Assert.That(end.Error.Message, Does.Not.Contain(EngineStatusWording));

        // Shutdown during the re-establishment would rightly fail with this drop's error: stop once
        // the worker registered again (whichever try made it).
        await restarted.Task.Within();
        await harness.StopAsync();
    }

    [Test]
    public async Task A_frame_the_worker_cannot_decode_is_a_local_decode_error_not_an_engine_status()
    {
        await using var app = await GarbageEngineAsync();
        var endpoint = new Uri(app.Urls.First());
        var worker = Worker(endpoint, maxAttempts: 1);

        var error = await RunFailure(worker);

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(error.IsRetryable, Is.True);
        // The transport hands the bytes to the worker, which decodes them and says so, with the frame's size.
        Assert.That(error.Message, Does.StartWith("The worker could not decode the engine's first frame").And.Contain("a frame of 3 bytes"));
        Assert.That(error.StatusCode, Is.Null, "no status: nothing the engine sent as one");
        Assert.That(error.Message, Does.Not.Contain(EngineStatusWording));
    }

    private static async Task<AionWorkerException> RunFailure(AionWorker worker)
    {
        using var shutdown = new CancellationTokenSource();
        try
        {
            await worker.RunAsync(shutdown.Token).Within();
        }
        catch (AionWorkerException error)
        {
            return error;
        }

        Assert.Fail("The run ended without an error.");
        return null!;
    }

    /// <summary>An h2c server whose StreamWorker answers with one gRPC message that is not a valid ServerToWorker.</summary>
    private static async Task<WebApplication> GarbageEngineAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        app.MapPost("/aion.WorkerProtocol/StreamWorker", async (HttpContext context) =>
        {
            context.Response.ContentType = "application/grpc";
            context.Response.AppendTrailer("grpc-status", "0");

            // One uncompressed gRPC message of 3 bytes: a field header whose length runs past the end.
            await context.Response.Body.WriteAsync(new byte[] { 0, 0, 0, 0, 3, 0x0A, 0xFF, 0xFF }, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The worker gave up on the call.
            }
        });
        await app.StartAsync();
        return app;
    }
}
