namespace Aion.Worker.Transport.Streams;

/// <summary>Settings of the worker's stream transport.</summary>
public sealed class StreamTransportOptions
{
    /// <summary>The largest frame payload the worker accepts from the engine, in bytes.</summary>
    /// <value>Default <see cref="StreamFraming.DefaultMaxFrameSize"/> (4 MiB).</value>
    /// <remarks>A longer length prefix is a protocol error (<see cref="AionErrorKind.Protocol"/>): the session ends
    /// at once, before the frame is read, and the worker reconnects; results stay tracked and are replayed.</remarks>
    public int MaxReceiveFrameSize { get; set; } = StreamFraming.DefaultMaxFrameSize;

    /// <summary>The largest frame payload the worker writes, in bytes.</summary>
    /// <value>Default <see cref="StreamFraming.DefaultMaxFrameSize"/> (4 MiB).</value>
    /// <remarks>Keep the worker's <c>MaxSendMessageSize</c> at or below this: the worker replaces a result too
    /// large for <c>MaxSendMessageSize</c> by a terminal failure, while a frame over this limit fails its send.</remarks>
    public int MaxSendFrameSize { get; set; } = StreamFraming.DefaultMaxFrameSize;

    /// <summary>How many outbound frames may wait for the connection before a send waits, in frames.</summary>
    /// <value>Default 256.</value>
    public int SendQueueCapacity { get; set; } = 256;

    /// <summary>The size of the read and write buffer segments, in bytes.</summary>
    /// <value>Default 16 KiB.</value>
    public int BufferSize { get; set; } = 16 * 1024;

    /// <summary>A copy of these options.</summary>
    /// <returns>The copy.</returns>
    public StreamTransportOptions Clone() => (StreamTransportOptions)MemberwiseClone();

    /// <summary>Throws if any setting is out of range, naming every offending setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxReceiveFrameSize < 1)
        {
            problems.Add($"{nameof(MaxReceiveFrameSize)}: must be at least 1 byte (was {MaxReceiveFrameSize}).");
        }

        if (MaxSendFrameSize < 1)
        {
            problems.Add($"{nameof(MaxSendFrameSize)}: must be at least 1 byte (was {MaxSendFrameSize}).");
        }

        if (SendQueueCapacity < 1)
        {
            problems.Add($"{nameof(SendQueueCapacity)}: must be at least 1 (was {SendQueueCapacity}).");
        }

        if (BufferSize < 512)
        {
            problems.Add($"{nameof(BufferSize)}: must be at least 512 bytes (was {BufferSize}).");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid stream transport options: " + string.Join(" ", problems));
        }
    }
}
