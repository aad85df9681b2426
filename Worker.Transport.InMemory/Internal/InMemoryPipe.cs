using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Aion.Worker.Protocol;
using Grpc.Core;

namespace Aion.Worker.Transport.InMemory.Internal;

/// <summary>One in-process stream: the worker's <see cref="IWorkerSession"/> and the engine's <see cref="IEngineConnection"/>, with gRPC's end semantics.</summary>
/// <remarks>
/// The worker's frames travel in batches: sends collect in a list and <c>FlushAsync</c> (Core calls
/// it when its queue runs empty) hands the whole list to the engine in one channel write; the engine
/// reads a batch's frames without touching the channel again and recycles the list. The engine's
/// frames travel one by one (several engine tasks write them); the worker's <c>TryReceive</c> takes
/// every frame already there without an await.
/// </remarks>
internal sealed class InMemoryPipe
{
    private readonly Channel<List<WorkerToServer>> _toEngine = Channel.CreateUnbounded<List<WorkerToServer>>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly ConcurrentQueue<List<WorkerToServer>> _freeBatches = new();
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

    public IEngineConnection Engine { get; }

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

    /// <summary>The next item of <paramref name="reader"/>, or false once it completed (its error, if any, is thrown): the one read loop both sides use.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private static async ValueTask<(bool Read, T Item)> ReadNextAsync<T>(ChannelReader<T> reader, CancellationToken cancellationToken)
    {
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            if (reader.TryRead(out var item))
            {
                return (true, item);
            }
        }

        return (false, default!);
    }

    private sealed class WorkerSide(InMemoryPipe pipe) : IWorkerSession
    {
        private List<WorkerToServer> _batch = [];

        public ChannelReader<ActivityCancelRequest>? CancelRequests => pipe._cancels.Reader;

        public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
        {
            if (Refusal() is { } refused)
            {
                return ValueTask.FromException(refused);
            }

            if (pipe.StallWorkerSends)
            {
                // A peer that stopped reading: the send ignores its token and ends only with the stream.
                return new ValueTask(pipe._disposed.Task);
            }

            _batch.Add(frame);
            return default;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (_batch.Count == 0)
            {
                return default;
            }

            if (Refusal() is { } refused)
            {
                return ValueTask.FromException(refused);
            }

            var batch = _batch;
            _batch = pipe._freeBatches.TryDequeue(out var free) ? free : [];
            if (!pipe._toEngine.Writer.TryWrite(batch))
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
            var (read, frame) = await ReadNextAsync(pipe._toWorker.Reader, cancellationToken).ConfigureAwait(false);
            return read ? InboundFrame.FromMessage(frame) : InboundFrame.EndOfStream;
        }

        public async ValueTask CompleteAsync(CancellationToken cancellationToken)
        {
            await FlushAsync(cancellationToken).ConfigureAwait(false);
            pipe._toEngine.Writer.TryComplete();
        }

        public ValueTask DisposeAsync()
        {
            pipe._toEngine.Writer.TryComplete();
            pipe._toWorker.Writer.TryComplete(new RpcException(new Status(StatusCode.Cancelled, "The worker disposed the session.")));
            pipe._disposed.TrySetResult();
            return default;
        }

        private Exception? Refusal()
        {
            if (pipe._endStatus is { } ended)
            {
                return new RpcException(ended);
            }

            return pipe.WorkerDisposed ? new ObjectDisposedException(nameof(IWorkerSession)) : null;
        }
    }

    private sealed class EngineSide(InMemoryPipe pipe, WorkerSessionMetadata metadata) : IEngineConnection
    {
        private List<WorkerToServer>? _batch;
        private int _next;

        public WorkerSessionMetadata Metadata { get; } = metadata;

        public ValueTask<WorkerToServer?> ReadAsync(CancellationToken cancellationToken)
        {
            // Frames of the batch in hand first, then the next batch already written, without an await.
            if (TryTake(out var frame) || (TryNextBatch(pipe._toEngine.Reader.TryRead(out var batch) ? batch : null) && TryTake(out frame)))
            {
                return new ValueTask<WorkerToServer?>(frame);
            }

            return ReadSlowAsync(cancellationToken);
        }

        public ValueTask WriteAsync(ServerToWorker frame, CancellationToken cancellationToken)
        {
            // A worker that went away simply never reads it, as with a real stream.
            pipe._toWorker.Writer.TryWrite(frame);
            return default;
        }

        [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
        private async ValueTask<WorkerToServer?> ReadSlowAsync(CancellationToken cancellationToken)
        {
            while (true)
            {
                var (read, batch) = await ReadNextAsync(pipe._toEngine.Reader, cancellationToken).ConfigureAwait(false);
                if (!read)
                {
                    return null;
                }

                if (TryNextBatch(batch) && TryTake(out var frame))
                {
                    return frame;
                }
            }
        }

        private bool TryTake(out WorkerToServer frame)
        {
            if (_batch is { } batch && _next < batch.Count)
            {
                frame = batch[_next++];
                return true;
            }

            frame = null!;
            return false;
        }

        /// <summary>Recycles the batch in hand (every frame taken) and takes <paramref name="next"/>.</summary>
        private bool TryNextBatch(List<WorkerToServer>? next)
        {
            if (next is null)
            {
                return false;
            }

            if (_batch is { } done)
            {
                done.Clear();
                pipe._freeBatches.Enqueue(done);
            }

            _batch = next;
            _next = 0;
            return true;
        }
    }
}
