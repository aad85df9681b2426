namespace Aion.Worker;

/// <summary>Where a worker's run is, as reported by <see cref="AionWorker.Status"/>.</summary>
public enum AionWorkerState
{
    /// <summary>The worker was built and has not run yet.</summary>
    NotStarted,

    /// <summary>The run started and no session has been registered yet (the first connect, with its own retries).</summary>
    Connecting,

    /// <summary>A session is registered: the engine acknowledged the registration and tasks can flow.</summary>
    Registered,

    /// <summary>A session ended (a drop, a clean close or a drain) and the worker is backing off or redialling.</summary>
    Reconnecting,

    /// <summary>Shutdown was requested: running activities are finishing and their results are being reported.</summary>
    Stopping,

    /// <summary>The run returned after a shutdown (or the single session served by <see cref="AionWorker.RunSessionAsync"/> ended).</summary>
    Stopped,

    /// <summary>The run ended with an error (non-retryable, establishment given up, drop budget exhausted); see <see cref="AionWorkerStatus.LastError"/>.</summary>
    Failed,
}
