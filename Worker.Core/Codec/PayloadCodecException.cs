namespace Aion.Worker.Codec;

/// <summary>A payload could not be encoded or decoded.</summary>
public sealed class PayloadCodecException : Exception
{
    /// <summary>Creates the error.</summary>
    /// <param name="message">What could not be encoded or decoded, and why.</param>
    /// <param name="innerException">The serializer's exception, if any.</param>
    public PayloadCodecException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
