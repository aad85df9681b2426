namespace Aion.Worker.Internal.Reconnect;

/// <summary>Which row of the classification table applied.</summary>
internal enum DropVerdict
{
    /// <summary>The session ended for shutdown: the run ends (failing with the last drop's error if shutdown interrupted the replay after an error drop).</summary>
    Shutdown,

    /// <summary>The session dropped while shutdown was already signalled: the run ends (failing with a retryable error that ended it).</summary>
    EndedAtShutdown,

    /// <summary>A drain drop: redial after InitialBackoff, no budget spent.</summary>
    Drain,

    /// <summary>A budgeted drop within the budget: redial after backoff(drops).</summary>
    Drop,

    /// <summary>A budgeted drop that reached MaxAttempts: the run fails.</summary>
    Exhausted,

    /// <summary>A non-retryable error: the run fails with it.</summary>
    NonRetryable,
}

/// <summary>What the run does after a session ended.</summary>
/// <param name="Verdict">The row of the classification table that applied.</param>
/// <param name="Drops">The drop counter after the session.</param>
/// <param name="Delay">For a redial: the sleep before the next establishment.</param>
/// <param name="Phase">For a redial: the phase the backoff metric records ("drain" or "drop").</param>
/// <param name="Error">For an end of the run: the error it fails with (none: it ends OK). For a redial: the error the run fails with if shutdown interrupts the sleep.</param>
internal readonly record struct DropDecision(DropVerdict Verdict, int Drops, TimeSpan Delay = default, string Phase = "", AionWorkerException? Error = null)
{
    /// <summary>Whether the run goes on with a new session.</summary>
    public bool Redials => Verdict is DropVerdict.Drain or DropVerdict.Drop;
}
