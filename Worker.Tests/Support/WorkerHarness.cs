using Aion.Worker.Transport;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Support;

/// <summary>A worker on the in-memory engine with a fake clock and captured logs: the conformance defaults (5 ms / 20 ms / 3 attempts).</summary>
public sealed class WorkerHarness : IAsyncDisposable
{
    private readonly WorkerRunner _runner = new();

    private WorkerHarness(AionWorker worker, InMemoryEngine engine, TestTime time, FakeLogCollector logs)
    {
        Worker = worker;
        Engine = engine;
        Time = time;
        Logs = logs;
    }

    public AionWorker Worker { get; }
    public InMemoryEngine Engine { get; }
    public TestTime Time { get; }
    public FakeLogCollector Logs { get; }
    public Task? Run => _runner.Run;
    public CancellationToken ShutdownToken => _runner.Token;

    public static AionWorkerOptions DefaultOptions(int maxConcurrency = 2) => new()
    {
        TaskQueue = "tests",
        Identity = "test-worker-" + Guid.NewGuid().ToString("N")[..8],
        MaxConcurrency = maxConcurrency,
        Reconnect = new ReconnectOptions
        {
            InitialBackoff = TimeSpan.FromMilliseconds(5),
            MaxBackoff = TimeSpan.FromMilliseconds(20),
            MaxAttempts = 3,
        },
    };

    public static WorkerHarness Create(
        Action<AionWorkerBuilder> activities,
        Action<AionWorkerOptions>? configure = null,
        InMemoryEngineOptions? engineOptions = null,
        InMemoryEngine? engine = null,
        Func<IWorkerTransport, IWorkerTransport>? wrapTransport = null)
    {
        var time = new TestTime();
        engineOptions ??= new InMemoryEngineOptions();
        engineOptions.TimeProvider = time;
        engine ??= new InMemoryEngine(engineOptions);
        var options = DefaultOptions();
        configure?.Invoke(options);
        var logs = new FakeLogCollector();
        var builder = AionWorker.CreateBuilder(options)
            .UseTransport(wrapTransport is null ? engine.CreateTransport() : wrapTransport(engine.CreateTransport()))
            .UseTimeProvider(time)
            .UseLoggerFactory(TestLogs.Factory(logs));
        activities(builder);
        return new WorkerHarness(builder.Build(), engine, time, logs);
    }

    /// <summary>Starts <see cref="AionWorker.RunAsync(CancellationToken)"/> in the background.</summary>
    public WorkerHarness Start()
    {
        _runner.Start(Worker);
        return this;
    }

    /// <summary>Starts the run and waits until the first session is registered.</summary>
    public async Task<EngineSession> StartAndRegisterAsync()
    {
        Start();
        return await Engine.WaitForSessionAsync(1).Within();
    }

    public void Shutdown() => _runner.Shutdown();

    /// <summary>Waits (bounded) for the run to fail and returns its error; fails the test if it ended without one.</summary>
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

        Assert.Fail("The run ended without an error.");
        return null!;
    }

    /// <summary>Signals shutdown and waits (bounded) for the run to end.</summary>
    public async Task StopAsync()
    {
        await _runner.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _runner.SettleAsync();

        _runner.Dispose();
    }
}
