extern alias streams;

using System.IO.Pipelines;
using System.Threading.Channels;
using Aion.Worker.Internal;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory.Internal;
using streams::Aion.Worker.Transport.Streams;
using streams::Aion.Worker.Transport.Streams.Internal;
using Google.Protobuf;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Transport.InMemory;

/// <summary>
/// The engine's side of one stream connection, so an <see cref="InMemoryEngine"/> serves the stream
/// transport: reads the hello frame into <see cref="Metadata"/>, lets the engine serve the stream, then
/// writes the end frame with the status the engine returned.
/// </summary>
public sealed class StreamEngineConnection : IEngineConnection, IAsyncDisposable
{
    private static readonly WorkerSessionMetadata NoMetadata = new([], string.Empty, null);

    private readonly Stream _stream;
    private readonly StreamEngineServerOptions _options;
    private readonly ILogger _logger;
    private readonly PipeReader _pipeReader;
    private readonly FrameReader _frames;
    private readonly FrameWriter _writer;
    private Status? _violation;
    private bool _workerClosed;
    private int _disposed;

    private StreamEngineConnection(Stream stream, StreamEngineServerOptions options)
    {
        _stream = stream;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger(StreamEngineLog.Category);
        _pipeReader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: options.Frames.BufferSize, minimumReadSize: Math.Min(4096, options.Frames.BufferSize), leaveOpen: true));
        var pipeWriter = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: options.Frames.BufferSize, leaveOpen: true));
        _frames = new FrameReader(_pipeReader, options.Frames.MaxReceiveFrameSize);
        _writer = new FrameWriter(pipeWriter, options.Frames.MaxSendFrameSize, options.Frames.SendQueueCapacity);
    }

    /// <summary>The metadata from the worker's hello frame.</summary>
    public WorkerSessionMetadata Metadata { get; private set; } = NoMetadata;

    /// <summary>Serves one worker connection on <paramref name="engine"/> until it ends, then closes <paramref name="stream"/>.</summary>
    /// <param name="engine">The engine that serves the stream (with its scripts).</param>
    /// <param name="stream">A connected duplex stream; it is disposed when the connection ends.</param>
    /// <param name="options">Frame limits and timeouts; default <see cref="StreamEngineServerOptions"/>.</param>
    /// <param name="cancellationToken">Stops serving (the worker receives status <c>Cancelled</c>).</param>
    /// <returns>The status the connection ended with (the one written in the end frame).</returns>
    public static async Task<Status> ServeAsync(InMemoryEngine engine, Stream stream, StreamEngineServerOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(stream);
        options = options?.Clone() ?? new StreamEngineServerOptions();
        OptionProblems.ThrowIfAny(options.Validate(), "The stream engine connection cannot be served", nameof(options));
        var connection = new StreamEngineConnection(stream, options);
        await using (connection.ConfigureAwait(false))
        {
            return await connection.RunAsync(engine, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public async ValueTask<WorkerToServer?> ReadAsync(CancellationToken cancellationToken)
    {
        if (_workerClosed)
        {
            return null;
        }

        try
        {
            if (!await _frames.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                _workerClosed = true;
                return null;
            }
        }
        catch (FrameTooLargeException ex)
        {
            throw Violation(StatusCode.ResourceExhausted, ex.Message);
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The worker went away (reset, or closed mid-frame): as a stream the worker abandoned.
            _workerClosed = true;
            return null;
        }

        try
        {
            switch ((StreamFrameKind)_frames.Kind)
            {
                case StreamFrameKind.Message:
                    return WorkerToServer.Parser.ParseFrom(_frames.Payload);
                case StreamFrameKind.Close:
                    _workerClosed = true;
                    return null;
                default:
                    throw Violation(StatusCode.InvalidArgument, $"a frame of kind 0x{_frames.Kind:x2} where a message or close frame was expected");
            }
        }
        catch (InvalidProtocolBufferException ex)
        {
            throw Violation(StatusCode.InvalidArgument, $"a message frame that does not parse: {ex.Message}");
        }
        finally
        {
            _frames.Consume();
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(ServerToWorker frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        var size = frame.CalculateSize();
        if (size > _writer.MaxFrameSize)
        {
            return ValueTask.FromException(new InvalidOperationException($"A frame of {size} bytes exceeds the engine's max send frame size of {_writer.MaxFrameSize} bytes."));
        }

        var pending = _writer.EnqueueAsync(OutboundFrame.ForMessage(frame, size), cancellationToken);
        return pending.IsCompletedSuccessfully ? default : AwaitWriteAsync(pending);
    }

    /// <summary>Aborts the connection and closes the stream.</summary>
    /// <returns>A task that completes when the stream is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _writer.Abort();
        await _stream.DisposeAsync().ConfigureAwait(false);
        await _writer.DisposeAsync().ConfigureAwait(false);

        await _pipeReader.CompleteAsync().ConfigureAwait(false);
    }

    private static async ValueTask AwaitWriteAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            // A worker that went away simply never reads it, as with the in-memory stream.
        }
    }

    private RpcException Violation(StatusCode code, string problem)
    {
        StreamEngineLog.Violation(_logger, problem);
        var status = new Status(code, $"stream transport: {problem}");
        _violation ??= status;
        return new RpcException(status);
    }

    private async Task<Status> RunAsync(InMemoryEngine engine, CancellationToken cancellationToken)
    {
        Status status;
        try
        {
            var refusal = await ReadHelloAsync(cancellationToken).ConfigureAwait(false);
            if (refusal is { } refused)
            {
                StreamEngineLog.Refused(_logger, refused.StatusCode, refused.Detail);
                status = refused;
            }
            else
            {
                status = await engine.ServeAsync(this, cancellationToken).ConfigureAwait(false);
                status = _violation ?? status;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            status = new Status(StatusCode.Cancelled, "The engine stopped.");
        }

        StreamEngineLog.Ended(_logger, status.StatusCode, status.Detail);
        await EndAsync(status).ConfigureAwait(false);
        if (!cancellationToken.IsCancellationRequested)
        {
            await LingerAsync(cancellationToken).ConfigureAwait(false);
        }

        return status;
    }

    /// <summary>Reads the hello frame into <see cref="Metadata"/>; returns the refusal status if it is missing or invalid.</summary>
    private async Task<Status?> ReadHelloAsync(CancellationToken cancellationToken)
    {
        using var deadline = new CancellationTokenSource(_options.HelloTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken);
        try
        {
            if (!await _frames.ReadAsync(linked.Token).ConfigureAwait(false))
            {
                return new Status(StatusCode.InvalidArgument, "stream transport: the connection ended before the hello frame");
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return new Status(StatusCode.DeadlineExceeded, $"stream transport: no hello frame within {_options.HelloTimeout.TotalMilliseconds} ms");
        }
        catch (FrameTooLargeException ex)
        {
            return new Status(StatusCode.ResourceExhausted, $"stream transport: {ex.Message}");
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            return new Status(StatusCode.Unavailable, $"stream transport: the connection failed before the hello frame: {ex.Message}");
        }

        try
        {
            if ((StreamFrameKind)_frames.Kind != StreamFrameKind.Hello)
            {
                return new Status(StatusCode.InvalidArgument, $"stream transport: the first frame must be a hello frame, not kind 0x{_frames.Kind:x2}");
            }

            var (version, metadata) = ControlFrames.DecodeHello(_frames.Payload);
            if (version != StreamFraming.ProtocolVersion)
            {
                return new Status(StatusCode.FailedPrecondition, $"stream transport: hello version {version} is not supported (this engine speaks {StreamFraming.ProtocolVersion})");
            }

            Metadata = metadata;
            return null;
        }
        catch (InvalidProtocolBufferException ex)
        {
            return new Status(StatusCode.InvalidArgument, $"stream transport: the hello frame does not parse: {ex.Message}");
        }
        finally
        {
            _frames.Consume();
        }
    }

    /// <summary>Writes the end frame and flushes everything before it, bounded by the linger timeout.</summary>
    private async Task EndAsync(Status status)
    {
        using var bound = new CancellationTokenSource(_options.LingerTimeout, _options.TimeProvider);
        try
        {
            await _writer.CompleteAsync(OutboundFrame.ForPayload(StreamFrameKind.End, ControlFrames.EncodeEnd(status)), bound.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            StreamEngineLog.EndNotWritten(_logger, ex.Message);
        }
    }

    /// <summary>Reads and discards until the worker closes the connection, bounded by the linger timeout.</summary>
    private async Task LingerAsync(CancellationToken cancellationToken)
    {
        using var bound = new CancellationTokenSource(_options.LingerTimeout, _options.TimeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(bound.Token, cancellationToken);
        try
        {
            while (await _frames.ReadAsync(linked.Token).ConfigureAwait(false))
            {
                _frames.Consume();
            }
        }
        catch (Exception)
        {
            // Closing anyway.
        }
    }
}
