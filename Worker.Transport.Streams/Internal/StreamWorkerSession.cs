using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Aion.Worker.Protocol;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Transport.Streams.Internal;

/// <summary>
/// The worker's side of one stream connection: a hello frame first, then message frames both ways;
/// the engine's end frame carries the status; the worker's close frame is its half-close. Sends are
/// buffered in the frame writer's queue and <see cref="FlushAsync"/> waits until they reached the
/// stream; a message frame whose payload does not parse is handed to the worker as
/// <see cref="InboundFrame.Undecodable(ReadOnlyMemory{byte})"/>.
/// </summary>
internal sealed class StreamWorkerSession : IWorkerSession
{
    private readonly Stream _stream;
    private readonly PipeReader _pipeReader;
    private readonly FrameReader _frames;
    private readonly FrameWriter _writer;
    private readonly Lock _readGate = new();
    private StrongBox<Status>? _endStatus;
    private Exception? _readFault;
    private bool _reading;
    private bool _disposed;

    public StreamWorkerSession(Stream stream, WorkerSessionMetadata metadata, StreamFrameLimits limits)
    {
        _stream = stream;
        _pipeReader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: limits.BufferSize, minimumReadSize: Math.Min(4096, limits.BufferSize), leaveOpen: true));
        var pipeWriter = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: limits.BufferSize, leaveOpen: true));
        _frames = new FrameReader(_pipeReader, limits.MaxReceiveFrameSize);
        _writer = new FrameWriter(pipeWriter, limits.MaxSendFrameSize, limits.SendQueueCapacity);

        // The hello goes first, before anything is read: the engine authorizes it before answering.
        var hello = ControlFrames.EncodeHello(metadata);
        if (hello.Length > limits.MaxSendFrameSize)
        {
            throw new AionWorkerException(AionErrorKind.Protocol, $"The hello frame ({hello.Length} bytes) exceeds the max send frame size of {limits.MaxSendFrameSize} bytes.");
        }

        _ = _writer.EnqueueAsync(OutboundFrame.ForPayload(StreamFrameKind.Hello, hello), CancellationToken.None);
    }

    public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (Volatile.Read(ref _endStatus) is { } ended)
        {
            return ValueTask.FromException(new RpcException(ended.Value));
        }

        var size = frame.CalculateSize();
        if (size > _writer.MaxFrameSize)
        {
            return ValueTask.FromException(new AionWorkerException(
                AionErrorKind.Protocol,
                $"An outbound frame of {size} bytes exceeds the stream transport's max send frame size of {_writer.MaxFrameSize} bytes."));
        }

        var pending = _writer.EnqueueAsync(OutboundFrame.ForMessage(frame, size), cancellationToken);
        return pending.IsCompletedSuccessfully ? default : AwaitSendAsync(pending);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _endStatus) is { } ended)
        {
            return ValueTask.FromException(new RpcException(ended.Value));
        }

        var pending = _writer.FlushAsync(cancellationToken);
        return pending.IsCompletedSuccessfully ? default : AwaitSendAsync(pending);
    }

    public bool TryReceive(out InboundFrame frame)
    {
        frame = default;
        lock (_readGate)
        {
            if (_disposed)
            {
                return false;
            }

            _reading = true;
        }

        try
        {
            if (_readFault is not null || Volatile.Read(ref _endStatus) is not null || !_frames.TryReadBuffered())
            {
                return false;
            }

            // An end frame is recorded and reported by the next ReceiveAsync.
            frame = Decode(true);
            return !frame.IsEndOfStream;
        }
        catch (Exception ex)
        {
            // Recorded (the end status, or the read fault) for the next ReceiveAsync to report.
            Fail(ex);
            return false;
        }
        finally
        {
            ExitRead();
        }
    }

    public ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        lock (_readGate)
        {
            if (_disposed)
            {
                return ValueTask.FromException<InboundFrame>(new ObjectDisposedException(nameof(StreamWorkerSession)));
            }

            _reading = true;
        }

        ValueTask<bool> read;
        try
        {
            if (Ended() is { } ended)
            {
                ExitRead();
                return ended;
            }

            read = _frames.ReadAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            ExitRead();
            return ValueTask.FromException<InboundFrame>(Fail(ex));
        }

        if (read.IsCompletedSuccessfully)
        {
            try
            {
                return new ValueTask<InboundFrame>(Decode(read.Result));
            }
            catch (Exception ex)
            {
                return ValueTask.FromException<InboundFrame>(ex);
            }
            finally
            {
                ExitRead();
            }
        }

        return ReceiveSlowAsync(read);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _endStatus) is not null)
        {
            return;
        }

        await _writer.CompleteAsync(OutboundFrame.ForPayload(StreamFrameKind.Close, []), cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        bool completeReader;
        lock (_readGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            completeReader = !_reading;
        }

        _writer.Abort();
        await _stream.DisposeAsync().ConfigureAwait(false);
        try
        {
            await _writer.Completion.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loop records its own failure.
        }

        if (completeReader)
        {
            await _pipeReader.CompleteAsync().ConfigureAwait(false);
        }
    }

    private static async ValueTask AwaitSendAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (ChannelClosedException ex) when (ex.InnerException is not null)
        {
            throw new IOException($"The connection failed: {ex.InnerException.Message}", ex.InnerException);
        }
    }

    private async ValueTask<InboundFrame> ReceiveSlowAsync(ValueTask<bool> read)
    {
        try
        {
            bool frame;
            try
            {
                frame = await read.ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                throw Fail(ex);
            }

            return Decode(frame);
        }
        finally
        {
            ExitRead();
        }
    }

    private ValueTask<InboundFrame>? Ended()
    {
        if (_readFault is { } fault)
        {
            return ValueTask.FromException<InboundFrame>(fault);
        }

        if (Volatile.Read(ref _endStatus)?.Value is { } status)
        {
            return status.StatusCode == StatusCode.OK
                ? new ValueTask<InboundFrame>(InboundFrame.EndOfStream)
                : ValueTask.FromException<InboundFrame>(new RpcException(status));
        }

        return null;
    }

    private InboundFrame Decode(bool frame)
    {
        if (!frame)
        {
            throw Fail(new AionWorkerException(AionErrorKind.Transport, "The engine closed the connection without an end frame."));
        }

        try
        {
            switch ((StreamFrameKind)_frames.Kind)
            {
                case StreamFrameKind.Message:
                    return ParseMessage(_frames.Payload);
                case StreamFrameKind.End:
                    var status = ControlFrames.DecodeEnd(_frames.Payload);
                    Volatile.Write(ref _endStatus, new StrongBox<Status>(status));
                    if (status.StatusCode == StatusCode.OK)
                    {
                        return InboundFrame.EndOfStream;
                    }

                    throw new RpcException(status);
                default:
                    throw Fail(new AionWorkerException(AionErrorKind.Protocol, $"The engine sent a frame of kind 0x{_frames.Kind:x2}, which it may not send (expected a message or an end frame)."));
            }
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Fail(new AionWorkerException(AionErrorKind.Protocol, $"The engine sent a frame of kind 0x{_frames.Kind:x2} whose payload does not parse: {ex.Message}", innerException: ex));
        }
        finally
        {
            _frames.Consume();
        }
    }

    /// <summary>A message frame's payload: the parsed frame, or a copy of bytes that do not parse for the worker to judge.</summary>
    private static InboundFrame ParseMessage(ReadOnlySequence<byte> payload)
    {
        try
        {
            return InboundFrame.FromMessage(ServerToWorker.Parser.ParseFrom(payload));
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or ArgumentException)
        {
            // ArgumentException: a string field that is not valid UTF-8 (DecoderFallbackException).
            return InboundFrame.Undecodable(payload.ToArray());
        }
    }

    /// <summary>Records a read failure (every later receive repeats it) in the worker's terms.</summary>
    private Exception Fail(Exception exception)
    {
        var mapped = exception switch
        {
            AionWorkerException => exception,
            FrameTooLargeException tooLarge => new AionWorkerException(
                AionErrorKind.Protocol,
                $"The engine sent a frame of {tooLarge.Length} bytes, over the max receive frame size of {tooLarge.MaxFrameSize} bytes; the session ends.",
                innerException: tooLarge),
            EndOfStreamException eof => new AionWorkerException(AionErrorKind.Transport, eof.Message, innerException: eof),
            _ => exception,
        };
        _readFault ??= mapped;
        return mapped;
    }

    private void ExitRead()
    {
        bool complete;
        lock (_readGate)
        {
            _reading = false;
            complete = _disposed;
        }

        if (complete)
        {
            _pipeReader.Complete();
        }
    }
}
