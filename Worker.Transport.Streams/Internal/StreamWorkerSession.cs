using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Aion.Worker.Protocol;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Transport.Streams.Internal;

/// <summary>
/// The worker's side of one stream connection: a hello frame first, then message frames both ways;
/// the engine's end frame carries the status; the worker's close frame is its half-close.
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

    public StreamWorkerSession(Stream stream, WorkerSessionMetadata metadata, StreamTransportOptions options)
    {
        _stream = stream;
        _pipeReader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: options.BufferSize, minimumReadSize: Math.Min(4096, options.BufferSize), leaveOpen: true));
        var pipeWriter = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: options.BufferSize, leaveOpen: true));
        _frames = new FrameReader(_pipeReader, options.MaxReceiveFrameSize);
        _writer = new FrameWriter(pipeWriter, options.MaxSendFrameSize, options.SendQueueCapacity);

        // The hello goes first, before anything is read: the engine authorizes it before answering.
        var hello = ControlFrames.EncodeHello(metadata);
        if (hello.Length > options.MaxSendFrameSize)
        {
            throw new AionWorkerException(AionErrorKind.Protocol, $"The hello frame ({hello.Length} bytes) exceeds the max send frame size of {options.MaxSendFrameSize} bytes.");
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

    public ValueTask<ServerToWorker?> ReceiveAsync(CancellationToken cancellationToken)
    {
        lock (_readGate)
        {
            if (_disposed)
            {
                return ValueTask.FromException<ServerToWorker?>(new ObjectDisposedException(nameof(StreamWorkerSession)));
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
            return ValueTask.FromException<ServerToWorker?>(Fail(ex));
        }

        if (read.IsCompletedSuccessfully)
        {
            try
            {
                return new ValueTask<ServerToWorker?>(Decode(read.Result));
            }
            catch (Exception ex)
            {
                return ValueTask.FromException<ServerToWorker?>(ex);
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

    private async ValueTask<ServerToWorker?> ReceiveSlowAsync(ValueTask<bool> read)
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

    private ValueTask<ServerToWorker?>? Ended()
    {
        if (_readFault is { } fault)
        {
            return ValueTask.FromException<ServerToWorker?>(fault);
        }

        if (Volatile.Read(ref _endStatus)?.Value is { } status)
        {
            return status.StatusCode == StatusCode.OK
                ? new ValueTask<ServerToWorker?>((ServerToWorker?)null)
                : ValueTask.FromException<ServerToWorker?>(new RpcException(status));
        }

        return null;
    }

    private ServerToWorker? Decode(bool frame)
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
                    return ServerToWorker.Parser.ParseFrom(_frames.Payload);
                case StreamFrameKind.End:
                    var status = ControlFrames.DecodeEnd(_frames.Payload);
                    Volatile.Write(ref _endStatus, new StrongBox<Status>(status));
                    if (status.StatusCode == StatusCode.OK)
                    {
                        return null;
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
