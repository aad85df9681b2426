using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Aion.Worker.Protocol;
using Grpc.Core;

namespace Aion.Worker.Transport.InMemory.Internal;

/// <summary>One in-process stream: the worker's <see cref="IWorkerSession"/> and the engine's <see cref="IEngineStream"/>, with gRPC's end semantics.</summary>
internal sealed class InMemoryPipe
{
    private readonly Channel<WorkerToServer> _toEngine = Channel.CreateUnbounded<WorkerToServer>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    // Not SingleReader: the single-reader unbounded channel does not support Count, which FramesUnreadByWorker reports.
    private readonly Channel<ServerToWorker> _toWorker = Channel.CreateUnbounded<ServerToWorker>(new UnboundedChannelOptions { SingleReader = false, SingleWriter = false });
    private readonly Channel<ActivityCancelRequest> _cancels = Channel.CreateUnbounded<ActivityCancelRequest>();
    private readonly TaskCompletionSource _disposed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Status? _endStatus;

    public InMemoryPipe(WorkerSessionMetadata metadata)
    {
        Worker = new WorkerSide(this);
        Engine = new EngineSide(this, metadata);
    }

    public IWorkerSession Worker { get; }

    public IEngineStream Engine { get; }

    /// <summary>When set, the worker's sends never complete (a peer that stopped reading).</summary>
    public volatile bool StallWorkerSends;

    public int FramesUnreadByWorker => _toWorker.Reader.Count;

    public bool WorkerDisposed => _disposed.Task.IsCompleted;

    public bool TryCancel(ActivityCancelRequest request) => _cancels.Writer.TryWrite(request);

    /// <summary>The engine ended the call: the worker reads what was written, then the end.</summary>
    public void EndFromEngine(Status status)
    {
        lock (_toWorker)
        {
            if (_endStatus is not null)
            {
                return;
            }

            _endStatus = status;
        }

        _toWorker.Writer.TryComplete(status.StatusCode == StatusCode.OK ? null : new RpcException(status));
        _toEngine.Writer.TryComplete();
        _cancels.Writer.TryComplete();
    }

    private sealed class WorkerSide(InMemoryPipe pipe) : IWorkerSession
    {
        public ChannelReader<ActivityCancelRequest>? CancelRequests => pipe._cancels.Reader;

        public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
        {
            if (pipe._endStatus is { } ended)
            {
                return ValueTask.FromException(new RpcException(ended));
            }

            if (pipe.WorkerDisposed)
            {
                return ValueTask.FromException(new ObjectDisposedException(nameof(IWorkerSession)));
            }

            if (pipe.StallWorkerSends)
            {
                // A peer that stopped reading: the send ignores its token and ends only with the stream.
                return new ValueTask(pipe._disposed.Task);
            }

            if (!pipe._toEngine.Writer.TryWrite(frame))
            {
                return ValueTask.FromException(pipe._endStatus is { } late
                    ? new RpcException(late)
                    : new InvalidOperationException("The worker already closed its side of the stream."));
            }

            return default;
        }

        public bool TryReceive(out InboundFrame frame)
        {
            if (pipe._toWorker.Reader.TryRead(out var message))
            {
                frame = InboundFrame.FromMessage(message);
                return true;
            }

            frame = default;
            return false;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken)
        {
            var reader = pipe._toWorker.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.TryRead(out var frame))
                {
                    return InboundFrame.FromMessage(frame);
                }
            }

            return InboundFrame.EndOfStream;
        }

        public ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            pipe._toEngine.Writer.TryComplete();
            return default;
        }

        public ValueTask DisposeAsync()
        {
            pipe._toEngine.Writer.TryComplete();
            pipe._toWorker.Writer.TryComplete(new RpcException(new Status(StatusCode.Cancelled, "The worker disposed the session.")));
            pipe._disposed.TrySetResult();
            return default;
        }
    }

    private sealed class EngineSide(InMemoryPipe pipe, WorkerSessionMetadata metadata) : IEngineStream
    {
        public WorkerSessionMetadata Metadata { get; } = metadata;

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        public async ValueTask<WorkerToServer?> ReadAsync(CancellationToken cancellationToken)
        {
            var reader = pipe._toEngine.Reader;
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                if (reader.TryRead(out var frame))
                {
                    return frame;
                }
            }

            return null;
        }

        public ValueTask WriteAsync(ServerToWorker frame, CancellationToken cancellationToken)
        {
            // A worker that went away simply never reads it, as with a real stream.
            pipe._toWorker.Writer.TryWrite(frame);
            return default;
        }
    }
}
