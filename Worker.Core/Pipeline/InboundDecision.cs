namespace Aion.Worker.Pipeline;

/// <summary>What an <see cref="IInboundStage"/> decided about a task: admit it, or fail it with a retryable or terminal outcome.</summary>
/// <remarks>A failed task is reported to the engine and tracked like any outcome; it never runs. The default value admits.</remarks>
public readonly struct InboundDecision : IEquatable<InboundDecision>
{
    private readonly byte _kind;

    private InboundDecision(byte kind, string? message)
    {
        _kind = kind;
        Message = message;
    }

    /// <summary>Lets the task go on to the next stage, then to its activity.</summary>
    public static InboundDecision Admit => default;

    /// <summary>Whether the task was admitted.</summary>
    public bool IsAdmitted => _kind == 0;

    /// <summary>Whether the failure is RETRYABLE (the engine may run it again, here or elsewhere); false for TERMINAL or an admitted task.</summary>
    public bool IsRetryable => _kind == 1;

    /// <summary>The failure's message, reported to the engine; <see langword="null"/> when admitted.</summary>
    public string? Message { get; }

    /// <summary>Fails the task with a RETRYABLE outcome: it does not run here now, the engine decides when it runs again.</summary>
    /// <param name="message">The failure's message.</param>
    /// <returns>The decision.</returns>
    public static InboundDecision FailRetryable(string message) => new(1, message ?? throw new ArgumentNullException(nameof(message)));

    /// <summary>Fails the task with a TERMINAL outcome: it never runs.</summary>
    /// <param name="message">The failure's message.</param>
    /// <returns>The decision.</returns>
    public static InboundDecision FailTerminal(string message) => new(2, message ?? throw new ArgumentNullException(nameof(message)));

    /// <inheritdoc />
    public bool Equals(InboundDecision other) => _kind == other._kind && string.Equals(Message, other.Message, StringComparison.Ordinal);

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is InboundDecision other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(_kind, Message);

    /// <summary>Whether two decisions are the same.</summary>
    /// <param name="left">A decision.</param>
    /// <param name="right">Another decision.</param>
    /// <returns><see langword="true"/> when equal.</returns>
    public static bool operator ==(InboundDecision left, InboundDecision right) => left.Equals(right);

    /// <summary>Whether two decisions differ.</summary>
    /// <param name="left">A decision.</param>
    /// <param name="right">Another decision.</param>
    /// <returns><see langword="true"/> when different.</returns>
    public static bool operator !=(InboundDecision left, InboundDecision right) => !left.Equals(right);

    /// <summary>Describes the decision.</summary>
    /// <returns><c>Admit</c>, or the failure's kind and message.</returns>
    public override string ToString() => _kind switch
    {
        0 => "Admit",
        1 => $"FailRetryable: {Message}",
        _ => $"FailTerminal: {Message}",
    };
}
