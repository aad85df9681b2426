using System.Runtime.CompilerServices;
using Aion.Worker.Protocol;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aion.Worker.Transport.Grpc.Internal;

/// <summary>
/// One <c>StreamWorker</c> call as an <see cref="IWorkerSession"/>: frames both ways, gRPC ends
/// mapped to the worker's contract, and the call and its channel disposed together.
/// </summary>
/// <remarks>
/// Writes and reads never pass the worker's token into Grpc.Net.Client, where a cancelled token
/// cancels the whole call: the worker's token only stops the wait (the send deadline, a reader
/// that stops), and <see cref="DisposeAsync"/> is what aborts the call. Reads go through one shared
/// pending <c>MoveNext</c>, so a failed write can look at how the call ended without racing the
/// worker's reader.
/// </remarks>
internal sealed class GrpcWorkerSession : IWorkerSession
{
    /// <summary>How long disposing waits, after the worker closed its side, for the engine to end the call.</summary>
    internal static readonly TimeSpan CloseGracePeriod = TimeSpan.FromSeconds(1);

    private readonly GrpcChannel _channel;
    private readonly AsyncDuplexStreamingCall<WorkerToServer, object> _call;
    private readonly int _maxSendMessageSize;
    private readonly Uri _endpoint;
    private readonly ServerCertificateCheck? _certificates;
    private readonly CoalescingRequestBody _body;
    private readonly Lock _gate = new();
    private Task<bool>? _move;
    private Task? _write;
    private int _disposed;
    private volatile bool _completed;
    private volatile bool _answered;

    public GrpcWorkerSession(GrpcChannel channel, AsyncDuplexStreamingCall<WorkerToServer, object> call, CoalescingRequestBody body, int maxSendMessageSize, Uri endpoint, ServerCertificateCheck? certificates)
    {
        _channel = channel;
        _body = body;
        _call = call;
        _maxSendMessageSize = maxSendMessageSize;
        _endpoint = endpoint;
        _certificates = certificates;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    public async ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        cancellationToken.ThrowIfCancellationRequested();
        var size = frame.CalculateSize();
        if (size > _maxSendMessageSize)
        {
            // Checked here so the call stays intact: Grpc.Net.Client would fail the whole call.
            // A local limit, not a status the engine sent.
            throw new AionWorkerException(
                AionErrorKind.Transport,
                $"The worker did not send a frame of {size} bytes: it exceeds the gRPC transport's MaxSendMessageSize of {_maxSendMessageSize} bytes.",
                StatusCode.ResourceExhausted);
        }

        Task write;
        lock (_gate)
        {
            write = _write = _call.RequestStream.WriteAsync(frame, CancellationToken.None);
        }

        try
        {
            await write.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !write.IsCompleted)
        {
            Observe(write);
            throw;
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.OK)
        {
            // The engine ended the call cleanly before this write: the worker reads that as a clean close.
            throw;
        }
        catch (RpcException ex)
        {
            throw await ResolveWriteFailureAsync(ex, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // Grpc.Net.Client lets some connection failures escape unwrapped (e.g. an HTTP/2 handshake the server
            // never completed), and a write past the buffer bound fails as the HTTP/2 stream does.
            throw await ResolveWriteFailureAsync(ex, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Writes every frame sent so far to the HTTP/2 stream in one write (see <see cref="CoalescingRequestBody"/>).</summary>
    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var pending = _body.FlushPendingAsync(cancellationToken);
        return pending.IsCompletedSuccessfully ? default : AwaitFlushAsync(pending, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask AwaitFlushAsync(ValueTask pending, CancellationToken cancellationToken)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw await ResolveWriteFailureAsync(ex, cancellationToken).ConfigureAwait(false);
        }
    }

    public bool TryReceive(out InboundFrame frame)
    {
        frame = default;
        if (Volatile.Read(ref _disposed) != 0)
        {
            return false;
        }

        // Starts the next read if none is pending: a frame already buffered completes it at once.
        var move = PendingMove();
        if (!move.IsCompletedSuccessfully || !move.Result)
        {
            return false;
        }

        frame = Take(move);
        return true;
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var move = PendingMove();
        bool more;
        try
        {
            more = await move.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException ex)
        {
            throw MapReadFailure(ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Map(ex);
        }

        return more ? Take(move) : InboundFrame.EndOfStream;
    }

    /// <summary>Takes the frame a completed read produced: a parsed frame, or the bytes of one that does not parse (see <see cref="StreamWorkerMethod"/>).</summary>
    private InboundFrame Take(Task<bool> move)
    {
        _answered = true;
        var current = _call.ResponseStream.Current;
        lock (_gate)
        {
            if (ReferenceEquals(_move, move))
            {
                _move = null;
            }
        }

        return current is ServerToWorker message ? InboundFrame.FromMessage(message) : InboundFrame.Undecodable((byte[])current);
    }

    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

        // Frames still buffered leave before the end of the stream.
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _call.RequestStream.CompleteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        _completed = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_completed)
        {
            await AwaitEngineEndAsync().ConfigureAwait(false);
        }

        // Aborts the call if it is still open (the engine sees a cancelled stream), then drops the connection.
        _call.Dispose();
        lock (_gate)
        {
            Observe(_move);
            Observe(_write);
        }

        _channel.Dispose();
    }

    /// <summary>
    /// After a graceful close, lets the engine end the call with its status (bounded by
    /// <see cref="CloseGracePeriod"/>) instead of resetting the stream under frames it still reads;
    /// frames that arrive meanwhile are discarded (the session is over).
    /// </summary>
    private async Task AwaitEngineEndAsync()
    {
        using var grace = new CancellationTokenSource(CloseGracePeriod);
        try
        {
            while (await PendingMove().WaitAsync(grace.Token).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    _move = null;
                }
            }
        }
        catch (Exception)
        {
            // The call ended with an error or the grace ran out: the abort below settles it.
        }
    }

    /// <summary>The read in progress, or a new one; a completed read stays pending until its frame was taken.</summary>
    private Task<bool> PendingMove()
    {
        lock (_gate)
        {
            return _move ??= _call.ResponseStream.MoveNext(CancellationToken.None);
        }
    }

    /// <summary>
    /// A write or flush failed (not with status OK). Grpc.Net.Client and the HTTP/2 stream report a
    /// refusal on the write as whatever the HTTP/2 layer saw (often a reset or cancelled stream),
    /// while the engine's real status (e.g. PermissionDenied in trailers) comes with the end of the
    /// response stream: prefer that one.
    /// </summary>
    private async Task<Exception> ResolveWriteFailureAsync(Exception writeError, CancellationToken cancellationToken)
    {
        if (TryGetFinalStatus(out var status))
        {
            return MapFinalStatus(status, writeError);
        }

        try
        {
            var more = await PendingMove().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!more)
            {
                // The engine ended the call cleanly: the failed write is a clean close.
                return new RpcException(Status.DefaultSuccess);
            }

            // The call is still alive (the frame stays pending for the reader): the write's own error stands.
            return Map(writeError);
        }
        catch (RpcException readError)
        {
            return MapReadFailure(readError);
        }
        catch (OperationCanceledException)
        {
            return Map(writeError);
        }
        catch (Exception readError)
        {
            return Map(readError);
        }
    }

    private bool TryGetFinalStatus(out Status status)
    {
        try
        {
            status = _call.GetStatus();
            return true;
        }
        catch (InvalidOperationException)
        {
            status = default;
            return false;
        }
    }

    private Exception MapFinalStatus(Status status, Exception fallback) => status.StatusCode == StatusCode.OK
        ? new RpcException(status)
        : MapReadFailure(fallback is RpcException rpc
            ? (status.StatusCode == rpc.StatusCode ? rpc : new RpcException(status, rpc.Trailers))
            : new RpcException(status, TryGetTrailers()));

    private Metadata TryGetTrailers()
    {
        try
        {
            return _call.GetTrailers();
        }
        catch (InvalidOperationException)
        {
            return [];
        }
    }

    /// <summary>A frame over the receive limit is a decode error, not an engine status; local failures say what happened.</summary>
    private Exception MapReadFailure(RpcException error) => error.StatusCode == StatusCode.ResourceExhausted
        ? new AionWorkerException(
            AionErrorKind.Protocol,
            $"The engine sent a frame the transport could not accept: {error.Status.Detail}",
            StatusCode.ResourceExhausted,
            error.Status.Detail,
            error)
        : Map(error);

    /// <summary>Who failed: an engine status stays an <see cref="RpcException"/>; a local failure becomes an <see cref="AionWorkerException"/> that names it.</summary>
    private Exception Map(Exception error) => GrpcFailures.Map(error, _endpoint, _certificates, _answered);

    private static void Observe(Task? task) =>
        task?.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
}
