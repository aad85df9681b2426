namespace Aion.Worker;

/// <summary>A snapshot of a worker's run: its state, the drop counter and the latest error.</summary>
/// <remarks>
/// Read it with <see cref="AionWorker.Status"/> at any time (it is immutable; a new snapshot is
/// published on every change). Health checks and dashboards build on it.
/// </remarks>
/// <param name="State">Where the run is.</param>
/// <param name="ConsecutiveDrops">
/// The run's drop counter: budgeted drops since the last healthy session (the budget is
/// <see cref="ReconnectOptions.MaxAttempts"/>); drains do not count. Zero before the first drop.
/// </param>
/// <param name="LastError">
/// The error behind the current state: the failed connect or registration attempt while
/// <see cref="AionWorkerState.Connecting"/> or <see cref="AionWorkerState.Reconnecting"/>, the error
/// that ended the last session, or the run's error when <see cref="AionWorkerState.Failed"/>;
/// <see langword="null"/> while <see cref="AionWorkerState.Registered"/> and after a clean close, a drain or a shutdown.
/// </param>
/// <param name="Registration">The current session's registration while <see cref="AionWorkerState.Registered"/>; otherwise <see langword="null"/>.</param>
/// <param name="Since">When the worker entered <paramref name="State"/>, on the worker's clock.</param>
public sealed record AionWorkerStatus(
    AionWorkerState State,
    int ConsecutiveDrops,
    Exception? LastError,
    WorkerRegistration? Registration,
    DateTimeOffset Since)
{
    /// <summary>Describes the status in one line, e.g. <c>Reconnecting since … (2 drops): the engine is unavailable</c>.</summary>
    /// <returns>The description.</returns>
    public override string ToString()
    {
        var text = State == AionWorkerState.Registered && Registration is { } registration
            ? $"Registered as worker {registration.WorkerId} in '{registration.Namespace}' since {Since:O}"
            : $"{State} since {Since:O}";
        if (ConsecutiveDrops > 0)
        {
            text += ConsecutiveDrops == 1 ? " (1 drop)" : $" ({ConsecutiveDrops} drops)";
        }

        return LastError is null ? text : $"{text}: {LastError.Message}";
    }
}
