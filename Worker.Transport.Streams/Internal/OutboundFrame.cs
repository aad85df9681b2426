using System.Buffers;
using System.Buffers.Binary;
using Google.Protobuf;

namespace Aion.Worker.Transport.Streams.Internal;

/// <summary>One queued frame: a protobuf message (encoded straight into the pipe) or a small pre-encoded payload.</summary>
internal readonly struct OutboundFrame
{
    private OutboundFrame(StreamFrameKind kind, IMessage? message, byte[]? raw, int size)
    {
        Kind = kind;
        Message = message;
        Raw = raw;
        Size = size;
    }

    public StreamFrameKind Kind { get; }

    public IMessage? Message { get; }

    public byte[]? Raw { get; }

    /// <summary>The payload size, computed once when the frame was queued.</summary>
    public int Size { get; }

    public static OutboundFrame ForMessage(IMessage message, int size) => new(StreamFrameKind.Message, message, null, size);

    public static OutboundFrame ForPayload(StreamFrameKind kind, byte[] payload) => new(kind, null, payload, payload.Length);

    /// <summary>Encodes the frame straight into the writer's memory (header, then payload) and advances it.</summary>
    /// <returns>The bytes written: header plus payload.</returns>
    public int WriteTo(IBufferWriter<byte> writer)
    {
        var total = StreamFraming.HeaderSize + Size;
        var span = writer.GetSpan(total);
        BinaryPrimitives.WriteUInt32BigEndian(span, (uint)Size);
        span[4] = (byte)Kind;
        var payload = span.Slice(StreamFraming.HeaderSize, Size);
        if (Message is { } message)
        {
            message.WriteTo(payload);
        }
        else
        {
            Raw.AsSpan().CopyTo(payload);
        }

        writer.Advance(total);
        return total;
    }
}
