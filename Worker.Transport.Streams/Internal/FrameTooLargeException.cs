namespace Aion.Worker.Transport.Streams.Internal;

/// <summary>A frame's length prefix exceeds the max frame size.</summary>
internal sealed class FrameTooLargeException(long length, int maxFrameSize)
    : Exception($"A frame of {length} bytes exceeds the max frame size of {maxFrameSize} bytes.")
{
    public long Length { get; } = length;

    public int MaxFrameSize { get; } = maxFrameSize;
}
