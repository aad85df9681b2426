namespace Aion.Worker.Transport.Streams;

/// <summary>The framing of the stream transport.</summary>
/// <remarks>
/// <para>Every frame is a 5-byte header followed by its payload:</para>
/// <code>
/// offset 0  uint32, big-endian  payload length in bytes (0 … the receiver's max frame size)
/// offset 4  byte                kind (<see cref="StreamFrameKind"/>)
/// offset 5  payload             length bytes
/// </code>
/// <para>A <see cref="StreamFrameKind.Message"/> payload is the protobuf encoding of one
/// <c>WorkerToServer</c> or <c>ServerToWorker</c>. <see cref="StreamFrameKind.Hello"/> and
/// <see cref="StreamFrameKind.End"/> payloads are small protobuf messages defined by this transport
/// (documented in <c>docs/custom-transport.md</c>); <see cref="StreamFrameKind.Close"/> is empty.
/// A length over the receiver's limit, an unknown kind, a kind sent the wrong way or a payload that
/// does not parse is a protocol error that ends the connection.</para>
/// </remarks>
public static class StreamFraming
{
    /// <summary>The size of a frame header: a 4-byte length and a 1-byte kind.</summary>
    public const int HeaderSize = 5;

    /// <summary>The default max payload size of one sent frame: 4 MiB, as gRPC's default message limit.</summary>
    public const int DefaultMaxFrameSize = 4 * 1024 * 1024;

    /// <summary>The default max payload size of one received frame: a 64 MiB wire cap, so that a task over the worker's MaxTaskInputSize is read and reported as a failure instead of ending the session.</summary>
    public const int DefaultMaxReceiveFrameSize = 64 * 1024 * 1024;

    /// <summary>The version this build writes in, and requires of, the hello frame.</summary>
    public const uint ProtocolVersion = 1;
}
