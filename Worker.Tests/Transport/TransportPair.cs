using Aion.Worker.Tests.Support;
using Aion.Worker.Transport;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Transport;

/// <summary>A worker and the <see cref="InMemoryEngine"/> it reaches over one transport, for <see cref="TransportContractTests"/>.</summary>
public sealed class TransportPair : IAsyncDisposable
{
    private readonly WorkerRunner _runner = new();
    private readonly IAsyncDisposable? _host;

    public TransportPair(AionWorker worker, IWorkerTransport transport, InMemoryEngine engine, TimeProvider time, FakeLogCollector logs, IAsyncDisposable? host = null)
    {
        Worker = worker;
        Transport = transport;
        Engine = engine;
        Time = time;
        Logs = logs;
        _host = host;
        Sessions = new SessionRecorder(worker);
    }

    public AionWorker Worker { get; }

    /// <summary>A transport to the same engine, for tests of <see cref="IWorkerSession"/> itself.</summary>
    public IWorkerTransport Transport { get; }
    public InMemoryEngine Engine { get; }
    public TimeProvider Time { get; }
    public FakeLogCollector Logs { get; }
    public SessionRecorder Sessions { get; }
    public Task? Run => _runner.Run;

    public void Start() => _runner.Start(Worker);

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
        await _runner.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _runner.SettleAsync();

        Engine.Stop();
        if (_host is not null)
        {
            await _host.DisposeAsync();
        }

        _runner.Dispose();
    }
}
