using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.Grpc;
using Aion.Worker.Transport.InMemory;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Grpc;

/// <summary>A worker over the real gRPC transport against a <see cref="GrpcEngineHost"/>, with captured logs.</summary>
internal sealed class GrpcHarness : IAsyncDisposable
{
    private readonly WorkerRunner _runner = new();

    private GrpcHarness(GrpcEngineHost host, AionWorker worker, FakeLogCollector logs)
    {
        Host = host;
        Worker = worker;
        Logs = logs;
    }

    public GrpcEngineHost Host { get; }
    public InMemoryEngine Engine => Host.Engine;
    public AionWorker Worker { get; }
    public FakeLogCollector Logs { get; }
    public Task? Run => _runner.Run;

    /// <summary>Real-clock reconnect settings, short enough for fast tests: 20 ms / 200 ms / 3 attempts.</summary>
    public static AionWorkerOptions DefaultOptions() => new()
    {
        TaskQueue = "grpc-tests",
        Identity = "grpc-worker-" + Guid.NewGuid().ToString("N")[..8],
        MaxConcurrency = 2,
        Reconnect = new ReconnectOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(20),
            MaxBackoff = TimeSpan.FromMilliseconds(200),
            MaxAttempts = 3,
        },
        RegisterTimeout = TimeSpan.FromSeconds(5),
        SendTimeout = TimeSpan.FromSeconds(5),

        // Real time: a test that stops the worker while the engine withholds acks waits this long.
        ShutdownAckTimeout = TimeSpan.FromMilliseconds(200),
    };

    public static async Task<GrpcHarness> CreateAsync(
        Action<AionWorkerBuilder> activities,
        Action<AionWorkerOptions>? configure = null,
        Action<GrpcTransportOptions>? transport = null,
        TimeProvider? time = null,
        InMemoryEngineOptions? engineOptions = null,
        Action<KestrelServerOptions>? kestrel = null,
        HttpsConnectionAdapterOptions? https = null)
    {
        var engine = new InMemoryEngine(engineOptions);
        var host = await GrpcEngineHost.StartAsync(engine, kestrel, https);
        try
        {
            var options = DefaultOptions();
            configure?.Invoke(options);
            var logs = new FakeLogCollector();
            var builder = AionWorker.CreateBuilder(options)
                .UseGrpc(host.Uri, transport)
                .UseLoggerFactory(TestLogs.Factory(logs));
            if (time is not null)
            {
                builder.UseTimeProvider(time);
            }

            activities(builder);
            return new GrpcHarness(host, builder.Build(), logs);
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>Polls (real time, bounded) until a worker-side condition holds; never used to prove timing.</summary>
    public static Task WaitUntilAsync(Func<bool> condition) => Poll.UntilAsync(condition);

    public GrpcHarness Start()
    {
        _runner.Start(Worker);
        return this;
    }

    public async Task<EngineSession> StartAndRegisterAsync()
    {
        Start();
        return await Engine.WaitForSessionAsync(1).Within();
    }

    /// <summary>Waits (bounded) for the run to fail and returns its error.</summary>
    public async Task<AionWorkerException> RunFailureAsync()
    {
        try
        {
            await Run!.Within();
        }
        catch (AionWorkerException error)
        {
            return error;
        }
        catch (TimeoutException)
        {
            Dump();
            throw;
        }

        Assert.Fail("The run ended without an error.");
        return null!;
    }

    public async Task StopAsync()
    {
        await _runner.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _runner.SettleAsync();

        await Host.DisposeAsync();
        _runner.Dispose();
    }

    /// <summary>Writes the worker's log and the engine's sessions to the test log.</summary>
    public void Dump()
    {
        foreach (var entry in Logs.GetSnapshot())
        {
            TestContext.Progress.WriteLine($"  log: {entry} {entry.Exception?.GetType().Name} {entry.Exception?.Message}");
        }

        foreach (var session in Engine.Sessions)
        {
            TestContext.Progress.WriteLine($"  engine: {session} accepted={session.IsAccepted} completion={(session.Completion.IsCompleted ? session.Completion.Result.ToString() : "open")}");
        }
    }
}
