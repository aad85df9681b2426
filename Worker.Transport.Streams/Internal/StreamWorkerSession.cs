using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using Aion.Worker.Protocol;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Transport.Streams.Internal;

/// <summary>
/// The worker's side of one stream connection: a hello frame first, then message frames both ways;
/// the engine's end frame carries the status; the worker's close frame is its half-close. A send
/// encodes its frame straight into the <see cref="PipeWriter"/>'s memory on the caller's task (Core's
/// one sending task: no queue, no loop); <see cref="FlushAsync"/> writes everything buffered to the
/// stream in one flush, and a send flushes by itself once <see cref="StreamFrameLimits.SendQueueCapacity"/>
/// frames or <see cref="FlushThreshold"/> bytes are buffered. A message frame whose payload does not
/// parse is handed to the worker as <see cref="InboundFrame.Undecodable(ReadOnlyMemory{byte})"/>.
/// </summary>
internal sealed class StreamWorkerSession : IWorkerSession
{
    private readonly Stream _stream;
    private readonly PipeReader _pipeReader;
    private readonly FrameReader _frames;
    private readonly PipeWriter _pipeWriter;
    private readonly int _maxSendFrameSize;
    private readonly int _maxUnflushedFrames;
    private readonly Lock _readGate = new();
    private StrongBox<Status>? _endStatus;
    private Exception? _readFault;
    private Exception? _writeFault;
    private int _unflushedFrames;
    private int _unflushedBytes;
    private bool _reading;
    private bool _writing;
    private bool _closed;
    private bool _disposed;

    public StreamWorkerSession(Stream stream, WorkerSessionMetadata metadata, StreamFrameLimits limits)
    {
        _stream = stream;
        _pipeReader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: limits.BufferSize, minimumReadSize: Math.Min(4096, limits.BufferSize), leaveOpen: true));
        _pipeWriter = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: limits.BufferSize, leaveOpen: true));
        _frames = new FrameReader(_pipeReader, limits.MaxReceiveFrameSize);
        _maxSendFrameSize = limits.MaxSendFrameSize;
        _maxUnflushedFrames = limits.SendQueueCapacity;

        // The hello goes first, before anything is read: the engine authorizes it before answering.
        var hello = ControlFrames.EncodeHello(metadata);
        if (hello.Length > limits.MaxSendFrameSize)
        {
            throw new AionWorkerException(AionErrorKind.Protocol, $"The hello frame ({hello.Length} bytes) exceeds the max send frame size of {limits.MaxSendFrameSize} bytes.");
        }

        // Buffered: it leaves with the first flush, ahead of RegisterWorker.
        Write(OutboundFrame.ForPayload(StreamFrameKind.Hello, hello));
    }

    /// <summary>A send flushes by itself once this many bytes are buffered, so a long burst does not buffer unboundedly.</summary>
    internal const int FlushThreshold = 64 * 1024;

    public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (WriteRefusal() is { } refused)
        {
            return ValueTask.FromException(refused);
        }

        var size = frame.CalculateSize();
        if (size > _maxSendFrameSize)
        {
            return ValueTask.FromException(new AionWorkerException(
                AionErrorKind.Protocol,
                $"An outbound frame of {size} bytes exceeds the stream transport's max send frame size of {_maxSendFrameSize} bytes."));
        }

        if (!EnterWrite())
        {
            return ValueTask.FromException(new ObjectDisposedException(nameof(StreamWorkerSession)));
        }

        try
        {
            Write(OutboundFrame.ForMessage(frame, size));
        }
        catch (Exception ex)
        {
            ExitWrite();
            return ValueTask.FromException(ex);
        }

        if (_unflushedFrames >= _maxUnflushedFrames || _unflushedBytes >= FlushThreshold)
        {
            // A burst longer than the bound: write it through now (a peer that stopped reading pushes back here).
            return FlushCoreAsync(cancellationToken);
        }

        ExitWrite();
        return default;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (WriteRefusal() is { } refused)
        {
            return ValueTask.FromException(refused);
        }

        if (_unflushedBytes == 0)
        {
            return default;
        }

        return EnterWrite() ? FlushCoreAsync(cancellationToken) : ValueTask.FromException(new ObjectDisposedException(nameof(StreamWorkerSession)));
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
            if (HasEnded(out var endError))
            {
                ExitRead();
                return endError is null ? new ValueTask<InboundFrame>(InboundFrame.EndOfStream) : ValueTask.FromException<InboundFrame>(endError);
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
        if (Volatile.Read(ref _endStatus) is not null || _closed)
        {
            return;
        }

        if (_writeFault is { } fault)
        {
            throw WriteFailure(fault);
        }

        ObjectDisposedException.ThrowIf(!EnterWrite(), this);
        _closed = true;
        Write(OutboundFrame.ForPayload(StreamFrameKind.Close, []));
        await FlushCoreAsync(cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        bool completeReader;
        bool completeWriter;
        lock (_readGate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            completeReader = !_reading;
            completeWriter = !_writing;
        }

        // A flush in progress ends now; the writing task completes the writer when it leaves.
        _pipeWriter.CancelPendingFlush();
        await _stream.DisposeAsync().ConfigureAwait(false);
        if (completeWriter)
        {
            CompleteWriter();
        }

        if (completeReader)
        {
            await _pipeReader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Encodes one frame straight into the writer's memory (header, then payload).</summary>
    private void Write(in OutboundFrame frame)
    {
        _unflushedBytes += frame.WriteTo(_pipeWriter);
        _unflushedFrames++;
    }

    /// <summary>Flushes everything buffered; the caller entered the write (<see cref="EnterWrite"/>), this leaves it.</summary>
    private ValueTask FlushCoreAsync(CancellationToken cancellationToken)
    {
        ValueTask<FlushResult> flush;
        try
        {
            flush = _pipeWriter.FlushAsync(cancellationToken);
        }
        catch (Exception ex)
        {
            ExitWrite();
            return ValueTask.FromException(Faulted(ex));
        }

        if (!flush.IsCompletedSuccessfully)
        {
            return AwaitFlushAsync(flush, cancellationToken);
        }

        // Read once: a completed flush's result is consumed here, never awaited again.
        var result = flush.Result;
        if (result.IsCanceled)
        {
            return AwaitFlushAsync(new ValueTask<FlushResult>(result), cancellationToken);
        }

        Flushed();
        ExitWrite();
        return default;
    }

    private async ValueTask AwaitFlushAsync(ValueTask<FlushResult> flush, CancellationToken cancellationToken)
    {
        try
        {
            var result = await flush.ConfigureAwait(false);
            if (result.IsCanceled)
            {
                // Only DisposeAsync cancels a pending flush.
                throw Faulted(new ObjectDisposedException(nameof(StreamWorkerSession), "The session was disposed while a flush was pending."));
            }

            Flushed();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _writeFault ??= new OperationCanceledException("A flush was cancelled; the frames it carried may be half written.");
            throw;
        }
        catch (Exception ex) when (ex is not ObjectDisposedException && ex is not AionWorkerException && ex != _writeFault)
        {
            throw Faulted(ex);
        }
        finally
        {
            ExitWrite();
        }
    }

    private void Flushed()
    {
        _unflushedFrames = 0;
        _unflushedBytes = 0;
    }

    /// <summary>Records a write failure: every later send and flush repeats it.</summary>
    private Exception Faulted(Exception exception)
    {
        _writeFault ??= exception;
        return exception is ObjectDisposedException ? exception : WriteFailure(exception);
    }

    private static IOException WriteFailure(Exception fault) => fault as IOException ?? new IOException($"The connection failed: {fault.Message}", fault);

    /// <summary>Why a send or flush cannot go ahead: the engine ended the stream, the connection failed, or the worker closed its side.</summary>
    private Exception? WriteRefusal()
    {
        if (Volatile.Read(ref _endStatus) is { } ended)
        {
            return new RpcException(ended.Value);
        }

        if (_writeFault is { } fault)
        {
            return fault is ObjectDisposedException ? fault : WriteFailure(fault);
        }

        return _closed ? new InvalidOperationException("The worker already closed its side of the stream.") : null;
    }

    private bool EnterWrite()
    {
        lock (_readGate)
        {
            if (_disposed)
            {
                return false;
            }

            _writing = true;
            return true;
        }
    }

    private void ExitWrite()
    {
        bool complete;
        lock (_readGate)
        {
            _writing = false;
            complete = _disposed;
        }

        if (complete)
        {
            CompleteWriter();
        }
    }

    private void CompleteWriter()
    {
        try
        {
            _pipeWriter.Complete();
        }
        catch (Exception)
        {
            // The stream is gone already.
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

    /// <summary>Whether the stream already ended; <paramref name="error"/> is what every later receive throws, <see langword="null"/> after a clean end.</summary>
    private bool HasEnded(out Exception? error)
    {
        if (_readFault is { } fault)
        {
            error = fault;
            return true;
        }

        if (Volatile.Read(ref _endStatus)?.Value is { } status)
        {
            error = status.StatusCode == StatusCode.OK ? null : new RpcException(status);
            return true;
        }

        error = null;
        return false;
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
