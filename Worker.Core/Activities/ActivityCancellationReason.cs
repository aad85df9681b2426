namespace Aion.Worker;

/// <summary>Why an activity's <see cref="ActivityContext.CancellationToken"/> fired.</summary>
public enum ActivityCancellationReason
{
    /// <summary>It has not fired.</summary>
    None,

    /// <summary>The worker is shutting down; an activity that stops is reported retryable, so the work can run again elsewhere.</summary>
    Shutdown,

    /// <summary>The engine asked to cancel this activity; an activity that stops is reported terminal ("cancelled").</summary>
    CancelRequested,
}
