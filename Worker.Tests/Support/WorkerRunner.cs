namespace Aion.Worker.Tests.Support;

/// <summary>One background <see cref="AionWorker.RunAsync(CancellationToken)"/> and its shutdown, shared by every test harness.</summary>
public sealed class WorkerRunner : IDisposable
{
    private readonly CancellationTokenSource _shutdown = new();
    private AionWorker? _worker;

    public Task? Run { get; private set; }

    public CancellationToken Token => _shutdown.Token;

    public Task Start(AionWorker worker)
    {
        _worker = worker;
        return Run = Task.Run(() => worker.RunAsync(_shutdown.Token));
    }

    public void Shutdown() => _shutdown.Cancel();

    /// <summary>Signals shutdown and waits (bounded) for the run to end, surfacing its error.</summary>
    public async Task StopAsync()
    {
        _shutdown.Cancel();
        if (Run is not null)
        {
            await PassShutdownAckWaitAsync();
            await Run.Within();
        }
    }

    /// <summary>Signals shutdown and waits (bounded) for the run, ignoring how it ended: the test asserted what mattered.</summary>
    public async Task SettleAsync()
    {
        _shutdown.Cancel();
        if (Run is not null)
        {
            await PassShutdownAckWaitAsync();
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

    /// <summary>
    /// On fake time, passes the graceful shutdown's wait for acks (ShutdownAckTimeout) that an engine
    /// withholding acks never ends: tests that stop a worker do not test that wait (ShutdownAckTests do).
    /// </summary>
    private async Task PassShutdownAckWaitAsync()
    {
        if (Run is not { } run || _worker?.Runtime.Time is not TestTime time)
        {
            return;
        }

        var ackWait = _worker.Options.ShutdownAckTimeout;
        var bound = System.Diagnostics.Stopwatch.StartNew();
        while (!run.IsCompleted && bound.Elapsed < Bounds.Default)
        {
            if (time.ActiveTimers().Any(t => t.DueTime == ackWait))
            {
                time.Advance(ackWait, ackWait);
            }

            await Task.WhenAny(run, Task.Delay(2));
        }
    }
}
