using Aion.Worker.Protocol;

namespace Aion.Worker.Transport;

/// <summary>What one receive from the engine produced: a decoded frame, the bytes of a frame the transport could not decode, or the end of the stream.</summary>
/// <remarks>
/// A transport that reads bytes (gRPC, streams) hands a frame that does not parse to the worker as
/// <see cref="Undecodable(ReadOnlyMemory{byte}, int)"/> instead of failing the read: the worker, not
/// the transport's deserializer, decides what a malformed frame costs. The default value is
/// <see cref="EndOfStream"/>.
/// </remarks>
public readonly struct InboundFrame
{
    private readonly ServerToWorker? _message;
    private readonly ReadOnlyMemory<byte> _bytes;
    private readonly int _size;
    private readonly InboundFrameKind _kind;

    private InboundFrame(InboundFrameKind kind, ServerToWorker? message, ReadOnlyMemory<byte> bytes, int size)
    {
        _kind = kind;
        _message = message;
        _bytes = bytes;
        _size = size;
    }

    /// <summary>The engine ended the stream with status OK.</summary>
    public static InboundFrame EndOfStream => default;

    /// <summary>What this receive produced.</summary>
    public InboundFrameKind Kind => _kind;

    /// <summary>Whether the engine ended the stream with status OK.</summary>
    public bool IsEndOfStream => _kind == InboundFrameKind.EndOfStream;

    /// <summary>The decoded frame, for <see cref="InboundFrameKind.Message"/>; otherwise <see langword="null"/>.</summary>
    public ServerToWorker? Message => _message;

    /// <summary>The undecodable frame's bytes as received, for <see cref="InboundFrameKind.Undecodable"/>; empty when the transport could not keep them.</summary>
    public ReadOnlyMemory<byte> Bytes => _bytes;

    /// <summary>The undecodable frame's size in bytes on the wire (at least <see cref="Bytes"/>' length); 0 otherwise.</summary>
    public int Size => _size;

    /// <summary>A decoded frame.</summary>
    /// <param name="message">The frame.</param>
    /// <returns>The receive result.</returns>
    public static InboundFrame FromMessage(ServerToWorker message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new InboundFrame(InboundFrameKind.Message, message, default, 0);
    }

    /// <summary>A frame that did not decode, with its bytes for the worker to decode (the size is their length).</summary>
    /// <param name="bytes">The frame's bytes as received; the worker only reads them, before its next receive.</param>
    /// <returns>The receive result.</returns>
    public static InboundFrame Undecodable(ReadOnlyMemory<byte> bytes) => new(InboundFrameKind.Undecodable, null, bytes, bytes.Length);

    /// <summary>A frame that did not decode, of <paramref name="size"/> bytes, of which the transport kept <paramref name="bytes"/> (possibly none).</summary>
    /// <param name="bytes">What the transport kept of the frame.</param>
    /// <param name="size">The frame's size on the wire.</param>
    /// <returns>The receive result.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="size"/> is smaller than the bytes kept.</exception>
    public static InboundFrame Undecodable(ReadOnlyMemory<byte> bytes, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, bytes.Length);
        return new InboundFrame(InboundFrameKind.Undecodable, null, bytes, size);
    }

    /// <summary>Describes the receive result.</summary>
    /// <returns>The kind and, for a message, its case.</returns>
    public override string ToString() => _kind switch
    {
        InboundFrameKind.Message => $"Message ({_message!.MessageCase})",
        InboundFrameKind.Undecodable => $"Undecodable ({_size} bytes)",
        _ => "EndOfStream",
    };
}
