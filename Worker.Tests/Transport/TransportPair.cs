using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Transport;

/// <summary>A worker and the <see cref="InMemoryEngine"/> it reaches over one transport, for <see cref="TransportContractTests"/>.</summary>
public sealed class TransportPair : IAsyncDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    private readonly IAsyncDisposable? _host;

    public TransportPair(AionWorker worker, InMemoryEngine engine, TimeProvider time, TestLoggerFactory logs, IAsyncDisposable? host = null)
    {
        Worker = worker;
        Engine = engine;
        Time = time;
        Logs = logs;
        _host = host;
        Sessions = new SessionRecorder(worker);
    }

    public AionWorker Worker { get; }
    public InMemoryEngine Engine { get; }
    public TimeProvider Time { get; }
    public TestLoggerFactory Logs { get; }
    public SessionRecorder Sessions { get; }
    public Task? Run { get; private set; }

    public void Start() => Run = Task.Run(() => Worker.RunAsync(_shutdown.Token));

    /// <summary>Starts the run and waits until the engine acked the first session and the worker read that ack.</summary>
    public async Task<EngineSession> StartAndRegisterAsync()
    {
        Start();
        var session = await Engine.WaitForSessionAsync(1).Within();
        await Poll.UntilAsync(() => Worker.CurrentRegistration?.WorkerId == session.WorkerId, "the worker read the RegisterAck");
        return session;
    }

    /// <summary>Signals shutdown and waits (bounded) for the run to end.</summary>
    public async Task StopAsync()
    {
        _shutdown.Cancel();
        if (Run is not null)
        {
            await Run.Within();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _shutdown.Cancel();
        if (Run is not null)
        {
            try
            {
                await Run.WaitAsync(Bounds.Default);
            }
            catch (Exception)
            {
                // The test asserted what mattered.
            }
        }

        Engine.Stop();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _shutdown.Dispose();
    }
}
