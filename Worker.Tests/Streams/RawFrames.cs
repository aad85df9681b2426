using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Aion.Worker.Transport.Streams;
using Google.Protobuf;

namespace Aion.Worker.Tests.Streams;

/// <summary>Hand-built frames and a plain frame parser, independent of the transport's own code.</summary>
public static class RawFrames
{
    public static byte[] Frame(StreamFrameKind kind, ReadOnlySpan<byte> payload) => Frame((byte)kind, payload);

    public static byte[] Frame(byte kind, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[StreamFraming.HeaderSize + payload.Length];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, (uint)payload.Length);
        bytes[4] = kind;
        payload.CopyTo(bytes.AsSpan(StreamFraming.HeaderSize));
        return bytes;
    }

    public static byte[] Message(IMessage message) => Frame(StreamFrameKind.Message, message.ToByteArray());

    /// <summary>A header announcing <paramref name="length"/> payload bytes (none follow).</summary>
    public static byte[] Header(uint length, StreamFrameKind kind = StreamFrameKind.Message)
    {
        var bytes = new byte[StreamFraming.HeaderSize];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, length);
        bytes[4] = (byte)kind;
        return bytes;
    }

    /// <summary>Reads one whole frame (or null at the end of the stream).</summary>
    public static async Task<(StreamFrameKind Kind, byte[] Payload)?> ReadAsync(PipeReader reader, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length >= StreamFraming.HeaderSize)
            {
                var header = buffer.Slice(0, StreamFraming.HeaderSize).ToArray();
                var length = BinaryPrimitives.ReadUInt32BigEndian(header);
                if (buffer.Length >= StreamFraming.HeaderSize + length)
                {
                    var payload = buffer.Slice(StreamFraming.HeaderSize, length).ToArray();
                    reader.AdvanceTo(buffer.GetPosition(StreamFraming.HeaderSize + length));
                    return ((StreamFrameKind)header[4], payload);
                }
            }

            if (result.IsCompleted)
            {
                reader.AdvanceTo(buffer.End);
                return null;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
