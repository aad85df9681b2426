using Aion.Worker.Internal;

namespace Aion.Worker.Transport.Streams;

/// <summary>How one side of a stream connection frames and buffers: the largest frame each way, the send queue's bound and the buffer size.</summary>
/// <remarks>
/// One definition for both ends of the framing: the worker's <see cref="StreamTransportOptions.Frames"/>
/// and the engine side's options in Aion.Worker.Transport.InMemory. What a side does with a frame over its
/// receive limit is described where the limits are used.
/// </remarks>
public sealed class StreamFrameLimits
{
    /// <summary>The largest frame payload this side accepts, in bytes.</summary>
    /// <value>Default <see cref="StreamFraming.DefaultMaxReceiveFrameSize"/> (64 MiB, the wire cap); at least 1.</value>
    /// <remarks>
    /// A longer length prefix ends the connection before the frame is read. Under this cap, the worker
    /// reports a task whose input is over its MaxTaskInputSize (4 MiB by default) as a TERMINAL failure
    /// with its ids, and the session goes on.
    /// </remarks>
    public int MaxReceiveFrameSize { get; set; } = StreamFraming.DefaultMaxReceiveFrameSize;

    /// <summary>The largest frame payload this side writes, in bytes.</summary>
    /// <value>Default <see cref="StreamFraming.DefaultMaxFrameSize"/> (4 MiB); at least 1.</value>
    /// <remarks>A send of a larger frame fails; the peer's receive limit should be at least as large.</remarks>
    public int MaxSendFrameSize { get; set; } = StreamFraming.DefaultMaxFrameSize;

    /// <summary>How many outbound frames may wait for the connection before a send waits, in frames.</summary>
    /// <value>Default 256; at least 1.</value>
    /// <remarks>
    /// The worker buffers sent frames in its connection buffer until Core flushes; a send that finds
    /// this many buffered writes them through first. The engine side queues its frames for one writer
    /// loop; a send to a full queue waits.
    /// </remarks>
    public int SendQueueCapacity { get; set; } = 256;

    /// <summary>The size of the read and write buffer segments, in bytes.</summary>
    /// <value>Default 16 KiB; at least 512.</value>
    public int BufferSize { get; set; } = 16 * 1024;

    internal StreamFrameLimits Clone() => (StreamFrameLimits)MemberwiseClone();

    /// <summary>Checks every rule; the owning options report these as <c>Frames.…</c>.</summary>
    internal void Validate(OptionProblems problems)
    {
        problems.AtLeast(nameof(MaxReceiveFrameSize), MaxReceiveFrameSize, 1, "byte");
        problems.AtLeast(nameof(MaxSendFrameSize), MaxSendFrameSize, 1, "byte");
        problems.AtLeast(nameof(SendQueueCapacity), SendQueueCapacity, 1);
        problems.AtLeast(nameof(BufferSize), BufferSize, 512, "bytes");
    }
}
