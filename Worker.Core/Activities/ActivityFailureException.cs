using Aion.Worker.Protocol;

namespace Aion.Worker;

/// <summary>An activity failure with an explicit kind; throw one of the two subclasses.</summary>
public abstract class ActivityFailureException : Exception
{
    private protected ActivityFailureException(string message, object? details, Exception? innerException)
        : base(message, innerException)
    {
        Details = details;
    }

    /// <summary>Optional details, encoded with the worker's codec into the error's details payload.</summary>
    public object? Details { get; }

    /// <summary>Whether the engine may retry the activity.</summary>
    public abstract bool IsRetryable { get; }

    internal ActivityErrorKind WireKind => IsRetryable ? ActivityErrorKind.Retryable : ActivityErrorKind.Terminal;
}

/// <summary>Fails the activity; the engine may retry it (wire kind RETRYABLE).</summary>
public sealed class RetryableActivityException : ActivityFailureException
{
    /// <summary>Creates a retryable failure.</summary>
    /// <param name="message">The error message sent to the engine.</param>
    /// <param name="details">Optional details, encoded with the worker's codec.</param>
    /// <param name="innerException">The underlying exception, if any (not sent).</param>
    public RetryableActivityException(string message, object? details = null, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }

    /// <inheritdoc />
    public override bool IsRetryable => true;
}

/// <summary>Fails the activity for good (wire kind TERMINAL).</summary>
public sealed class TerminalActivityException : ActivityFailureException
{
    /// <summary>Creates a terminal failure.</summary>
    /// <param name="message">The error message sent to the engine.</param>
    /// <param name="details">Optional details, encoded with the worker's codec.</param>
    /// <param name="innerException">The underlying exception, if any (not sent).</param>
    public TerminalActivityException(string message, object? details = null, Exception? innerException = null)
        : base(message, details, innerException)
    {
    }

    /// <inheritdoc />
    public override bool IsRetryable => false;
}
