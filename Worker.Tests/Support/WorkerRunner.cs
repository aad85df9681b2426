namespace Aion.Worker.Tests.Support;

/// <summary>One background <see cref="AionWorker.RunAsync(CancellationToken)"/> and its shutdown, shared by every test harness.</summary>
public sealed class WorkerRunner : IDisposable
{
    private readonly CancellationTokenSource _shutdown = new();

    public Task? Run { get; private set; }

    public CancellationToken Token => _shutdown.Token;

    public Task Start(AionWorker worker) => Run = Task.Run(() => worker.RunAsync(_shutdown.Token));

    public void Shutdown() => _shutdown.Cancel();

    /// <summary>Signals shutdown and waits (bounded) for the run to end, surfacing its error.</summary>
    public async Task StopAsync()
    {
        _shutdown.Cancel();
        if (Run is not null)
        {
            await Run.Within();
        }
    }

    /// <summary>Signals shutdown and waits (bounded) for the run, ignoring how it ended: the test asserted what mattered.</summary>
    public async Task SettleAsync()
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
    }

    public void Dispose() => _shutdown.Dispose();
}
