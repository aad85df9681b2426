namespace Aion.Worker.Internal;

/// <summary>Publishes <see cref="AionWorkerStatus"/> snapshots as the run moves between states.</summary>
internal sealed class WorkerStatusTracker
{
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private AionWorkerStatus _current;

    public WorkerStatusTracker(TimeProvider time)
    {
        _time = time;
        _current = new AionWorkerStatus(AionWorkerState.NotStarted, 0, null, null, time.GetUtcNow());
    }

    public AionWorkerStatus Current => Volatile.Read(ref _current);

    public void RunStarted() => Set(AionWorkerState.Connecting, drops: 0, error: null, registration: null, force: true);

    /// <summary>Shutdown was requested: later session events no longer change the state.</summary>
    public void ShutdownRequested()
    {
        lock (_gate)
        {
            if (_current.State is AionWorkerState.Connecting or AionWorkerState.Registered or AionWorkerState.Reconnecting)
            {
                Publish(_current with { State = AionWorkerState.Stopping, Registration = null, Since = _time.GetUtcNow() });
            }
        }
    }

    public void EstablishmentFailed(Exception error)
    {
        lock (_gate)
        {
            if (_current.State is AionWorkerState.Connecting or AionWorkerState.Reconnecting)
            {
                Publish(_current with { LastError = error });
            }
        }
    }

    public void SessionStarted(WorkerRegistration registration) =>
        Set(AionWorkerState.Registered, drops: null, error: null, registration, force: false);

    public void SessionEnded(SessionEnd end, int drops) =>
        Set(AionWorkerState.Reconnecting, drops, end.Error, registration: null, force: false);

    /// <summary>Records the run's error; returns false so it can sit in an exception filter.</summary>
    public bool RunFailed(Exception error)
    {
        Set(AionWorkerState.Failed, drops: null, error, registration: null, force: true);
        return false;
    }

    public void RunEnded()
    {
        lock (_gate)
        {
            if (_current.State != AionWorkerState.Failed)
            {
                Publish(_current with { State = AionWorkerState.Stopped, Registration = null, LastError = null, Since = _time.GetUtcNow() });
            }
        }
    }

    private void Set(AionWorkerState state, int? drops, Exception? error, WorkerRegistration? registration, bool force)
    {
        lock (_gate)
        {
            if (!force && _current.State is not (AionWorkerState.Connecting or AionWorkerState.Registered or AionWorkerState.Reconnecting))
            {
                return;
            }

            var since = _current.State == state ? _current.Since : _time.GetUtcNow();
            Publish(new AionWorkerStatus(state, drops ?? _current.ConsecutiveDrops, error, registration, since));
        }
    }

    private void Publish(AionWorkerStatus status) => Volatile.Write(ref _current, status);
}
