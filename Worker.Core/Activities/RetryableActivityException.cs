namespace Aion.Worker;

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
