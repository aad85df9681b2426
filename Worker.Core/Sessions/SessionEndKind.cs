namespace Aion.Worker;

/// <summary>How a session ended.</summary>
public enum SessionEndKind
{
    /// <summary>The worker was shutting down: it reported its running activities and closed the stream.</summary>
    Shutdown,

    /// <summary>The engine asked to drain (a retryable error after the drain frame counts too): the worker redials without spending budget.</summary>
    Drain,

    /// <summary>The engine ended the stream with status OK without a drain: a budgeted drop.</summary>
    CleanClose,

    /// <summary>The session failed (see <see cref="SessionEnd.Error"/>): a budgeted drop when retryable.</summary>
    Error,
}
