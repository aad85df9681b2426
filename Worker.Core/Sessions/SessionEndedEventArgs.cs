namespace Aion.Worker;

/// <summary>A session ended.</summary>
/// <param name="end">How it ended.</param>
/// <param name="dropsAfter">The drop counter after this end was classified.</param>
public sealed class SessionEndedEventArgs(SessionEnd end, int dropsAfter) : EventArgs
{
    /// <summary>A session ended; <paramref name="runSummary"/> is set when it was the run's last session.</summary>
    /// <param name="end">How it ended.</param>
    /// <param name="dropsAfter">The drop counter after this end was classified.</param>
    /// <param name="runSummary">What the run left unacknowledged, when the run ends with this session.</param>
    public SessionEndedEventArgs(SessionEnd end, int dropsAfter, RunSummary? runSummary)
        : this(end, dropsAfter) => RunSummary = runSummary;

    /// <summary>
    /// For the run's last session (the run ends after it): every result the engine had not
    /// acknowledged at that moment; otherwise <see langword="null"/>. Activities of a run that ends
    /// on an error may still finish after this event; <see cref="AionWorker.LastRunSummary"/> is final.
    /// </summary>
    public RunSummary? RunSummary { get; }

    /// <summary>How it ended.</summary>
    public SessionEnd End { get; } = end;

    /// <summary>The run's drop counter after this end (0 after a reset by a healthy session, drains included; otherwise unchanged after a drain).</summary>
    public int Drops { get; } = dropsAfter;
}
