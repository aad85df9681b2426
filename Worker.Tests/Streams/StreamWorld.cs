using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Streams;

/// <summary>Where the engine listens in an end-to-end test.</summary>
public enum StreamEndpointKind
{
    Tcp,
    UnixSocket,
}

/// <summary>
/// An <see cref="InMemoryEngine"/> behind a real socket (<see cref="StreamEngineServer"/> on 127.0.0.1
/// port 0 or a unique Unix socket under the temp folder) and a worker dialling it, with a fake clock.
/// </summary>
public sealed class StreamWorld : IAsyncDisposable
{
    private readonly WorkerRunner _runner = new();
    private readonly Lock _gate = new();
    private readonly List<WorkerRegistration> _started = [];
    private TaskCompletionSource _startedChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private StreamWorld(InMemoryEngine engine, StreamEngineServer server, AionWorker worker, TestTime time, FakeLogCollector logs)
    {
        Engine = engine;
        Server = server;
        Worker = worker;
        Time = time;
        Logs = logs;
        worker.SessionStarted += (_, args) =>
        {
            TaskCompletionSource changed;
            lock (_gate)
            {
                _started.Add(args.Registration);
                changed = _startedChanged;
                _startedChanged = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            changed.TrySetResult();
        };
    }

    public InMemoryEngine Engine { get; }
    public StreamEngineServer Server { get; }
    public AionWorker Worker { get; }
    public TestTime Time { get; }
    public FakeLogCollector Logs { get; }
    public Task? Run => _runner.Run;

    public static StreamWorld Create(
        StreamEndpointKind kind,
        Action<AionWorkerBuilder> activities,
        Action<AionWorkerOptions>? configure = null,
        StreamTransportOptions? transportOptions = null)
    {
        var time = new TestTime();
        var engine = new InMemoryEngine(new InMemoryEngineOptions { TimeProvider = time });
        StreamEngineServer server;
        var builderOptions = WorkerHarness.DefaultOptions();
        configure?.Invoke(builderOptions);
        var logs = new FakeLogCollector();
        var builder = AionWorker.CreateBuilder(builderOptions).UseTimeProvider(time).UseLoggerFactory(TestLogs.Factory(logs));
        if (kind == StreamEndpointKind.Tcp)
        {
            server = StreamEngineServer.ListenTcp(engine, options: new StreamEngineServerOptions { LoggerFactory = TestLogs.Factory(logs) });
            builder.UseTcp("127.0.0.1", server.Port, transportOptions);
        }
        else
        {
            var path = Path.Combine(Path.GetTempPath(), $"aion-{Guid.NewGuid():N}.sock");
            server = StreamEngineServer.ListenUnixSocket(engine, path, new StreamEngineServerOptions { LoggerFactory = TestLogs.Factory(logs) });
            builder.UseUnixSocket(path, transportOptions);
        }

        activities(builder);
        return new StreamWorld(engine, server, builder.Build(), time, logs);
    }

    public StreamWorld Start()
    {
        _runner.Start(Worker);
        return this;
    }

    public async Task<EngineSession> StartAndRegisterAsync()
    {
        Start();
        return await SessionAsync(1);
    }

    /// <summary>Waits until the engine accepted its <paramref name="number"/>-th session and the worker read that ack.</summary>
    public async Task<EngineSession> SessionAsync(int number)
    {
        var session = await Engine.WaitForSessionAsync(number).Within();
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                if (_started.Any(r => r.WorkerId == session.WorkerId))
                {
                    return session;
                }

                changed = _startedChanged.Task;
            }

            await changed.Within();
        }
    }

    /// <summary>Waits for the redial timer of <paramref name="delay"/>, then lets it fire.</summary>
    public async Task AdvancePastBackoffAsync(TimeSpan delay)
    {
        await Time.WaitForTimerAsync(delay).Within();
        Time.Advance(delay);
    }

    public async Task StopAsync()
    {
        await _runner.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _runner.SettleAsync();

        await Server.DisposeAsync().AsTask().WaitAsync(Bounds.Default);
        if (Server.UnixSocketPath is { } path)
        {
            Assert.That(File.Exists(path), Is.False, "the Unix socket file should be removed");
        }

        _runner.Dispose();
    }
}
