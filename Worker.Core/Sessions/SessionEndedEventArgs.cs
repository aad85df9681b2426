namespace Aion.Worker;

/// <summary>A session ended.</summary>
/// <param name="end">How it ended.</param>
/// <param name="dropsAfter">The drop counter after this end was classified.</param>
public sealed class SessionEndedEventArgs(SessionEnd end, int dropsAfter) : EventArgs
{
    /// <summary>How it ended.</summary>
    public SessionEnd End { get; } = end;

    /// <summary>The run's drop counter after this end (0 after a reset by a healthy session, drains included; otherwise unchanged after a drain).</summary>
    public int Drops { get; } = dropsAfter;
}
