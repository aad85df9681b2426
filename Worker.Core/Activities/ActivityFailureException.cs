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
