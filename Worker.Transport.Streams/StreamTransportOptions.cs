using Aion.Worker.Internal;

namespace Aion.Worker.Transport.Streams;

/// <summary>Settings of the worker's stream transport.</summary>
/// <remarks>Validated when the transport is created (or a session opened); every problem is reported in one <see cref="ArgumentException"/>.</remarks>
public sealed class StreamTransportOptions
{
    /// <summary>The worker side's frame limits, send queue and buffers.</summary>
    /// <remarks>
    /// An inbound frame over <see cref="StreamFrameLimits.MaxReceiveFrameSize"/> is a protocol error
    /// (<see cref="AionErrorKind.Protocol"/>): the session ends at once, before the frame is read, and the
    /// worker reconnects; results stay tracked and are replayed. Keep the worker's <c>MaxSendMessageSize</c>
    /// at or below <see cref="StreamFrameLimits.MaxSendFrameSize"/>: the worker replaces a result too large
    /// for <c>MaxSendMessageSize</c> by a terminal failure, while a frame over the send limit fails its send.
    /// </remarks>
    public StreamFrameLimits Frames { get; set; } = new();

    /// <summary>A copy of these options, with its own <see cref="Frames"/>.</summary>
    /// <returns>The copy.</returns>
    public StreamTransportOptions Clone()
    {
        var clone = (StreamTransportOptions)MemberwiseClone();
        clone.Frames = Frames?.Clone()!;
        return clone;
    }

    /// <summary>Checks these options against every rule, without creating a transport.</summary>
    /// <returns>One line per problem, naming the option, its rule and the value it had; empty when the options are valid.</returns>
    /// <remarks><see cref="StreamTransport"/> runs the same checks and throws one exception listing every problem.</remarks>
    public IReadOnlyList<string> Validate()
    {
        var problems = new OptionProblems();
        if (problems.Required(nameof(Frames), Frames))
        {
            Frames.Validate(problems.For(nameof(Frames)));
        }

        return problems.ToList();
    }
}
