using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Aion.Worker.Transport.Streams.Internal;

/// <summary>
/// Reads length-delimited frames from a <see cref="PipeReader"/> without copying them: a frame is
/// exposed as a slice of the reader's buffer until <see cref="Consume"/>. Frames already buffered are
/// returned synchronously. One caller at a time.
/// </summary>
internal sealed class FrameReader
{
    private readonly PipeReader _reader;
    private readonly int _maxFrameSize;
    private SequencePosition _frameEnd;
    private bool _holding;

    public FrameReader(PipeReader reader, int maxFrameSize)
    {
        _reader = reader;
        _maxFrameSize = maxFrameSize;
    }

    /// <summary>The kind byte of the current frame (not validated).</summary>
    public byte Kind { get; private set; }

    /// <summary>The payload of the current frame; valid until <see cref="Consume"/>.</summary>
    public ReadOnlySequence<byte> Payload { get; private set; }

    /// <summary>Reads the next frame into <see cref="Kind"/> and <see cref="Payload"/>.</summary>
    /// <returns>True for a frame; false when the peer ended the stream at a frame boundary.</returns>
    /// <exception cref="FrameTooLargeException">The length prefix exceeds the max frame size.</exception>
    /// <exception cref="EndOfStreamException">The peer ended the stream in the middle of a frame.</exception>
    public ValueTask<bool> ReadAsync(CancellationToken cancellationToken)
    {
        if (_holding)
        {
            throw new InvalidOperationException("The previous frame was not consumed.");
        }

        try
        {
            if (_reader.TryRead(out var result))
            {
                switch (Step(result))
                {
                    case ReadStep.Frame:
                        return new ValueTask<bool>(true);
                    case ReadStep.End:
                        return new ValueTask<bool>(false);
                }
            }
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<bool>(ex);
        }

        return ReadSlowAsync(cancellationToken);
    }

    /// <summary>Reads the next frame only if it is already buffered; never waits.</summary>
    /// <returns>True for a frame; false when no whole frame is buffered (or the peer ended the stream: <see cref="ReadAsync"/> reports that).</returns>
    /// <exception cref="FrameTooLargeException">The length prefix exceeds the max frame size.</exception>
    /// <exception cref="EndOfStreamException">The peer ended the stream in the middle of a frame.</exception>
    public bool TryReadBuffered()
    {
        if (_holding)
        {
            throw new InvalidOperationException("The previous frame was not consumed.");
        }

        return _reader.TryRead(out var result) && Step(result) == ReadStep.Frame;
    }

    /// <summary>Releases the current frame's bytes.</summary>
    public void Consume()
    {
        if (_holding)
        {
            _holding = false;
            Payload = default;
            _reader.AdvanceTo(_frameEnd);
        }
    }

    private async ValueTask<bool> ReadSlowAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            switch (Step(result))
            {
                case ReadStep.Frame:
                    return true;
                case ReadStep.End:
                    return false;
            }

            if (result.IsCanceled)
            {
                throw new OperationCanceledException("The read was cancelled.");
            }
        }
    }

    private ReadStep Step(in ReadResult result)
    {
        var buffer = result.Buffer;
        if (buffer.Length >= StreamFraming.HeaderSize)
        {
            Span<byte> header = stackalloc byte[StreamFraming.HeaderSize];
            buffer.Slice(0, StreamFraming.HeaderSize).CopyTo(header);
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            if (length > (uint)_maxFrameSize)
            {
                _reader.AdvanceTo(buffer.Start);
                throw new FrameTooLargeException(length, _maxFrameSize);
            }

            if (buffer.Length - StreamFraming.HeaderSize >= length)
            {
                Kind = header[4];
                Payload = buffer.Slice(StreamFraming.HeaderSize, length);
                _frameEnd = Payload.End;
                _holding = true;
                return ReadStep.Frame;
            }
        }

        if (result.IsCompleted)
        {
            _reader.AdvanceTo(buffer.End);
            if (buffer.Length == 0)
            {
                return ReadStep.End;
            }

            throw new EndOfStreamException($"The peer closed the connection in the middle of a frame ({buffer.Length} bytes of an incomplete frame were received).");
        }

        _reader.AdvanceTo(buffer.Start, buffer.End);
        return ReadStep.NeedMore;
    }

    private enum ReadStep
    {
        NeedMore,
        Frame,
        End,
    }
}
