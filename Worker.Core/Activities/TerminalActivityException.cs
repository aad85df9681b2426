namespace Aion.Worker;

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
