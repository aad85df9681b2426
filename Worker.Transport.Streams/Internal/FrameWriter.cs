using System.IO.Pipelines;
using System.Threading.Channels;

namespace Aion.Worker.Transport.Streams.Internal;

/// <summary>
/// Writes frames to a <see cref="PipeWriter"/> from one loop: senders queue frames in a bounded
/// channel; the loop encodes every queued frame straight into the writer's memory and flushes only
/// when the queue is empty (or a flush threshold is reached), so writes coalesce under load.
/// A full queue (a peer that stopped reading) makes senders wait; <see cref="FlushAsync(CancellationToken)"/> waits
/// until every frame queued before it was written and flushed.
/// </summary>
internal sealed class FrameWriter : IAsyncDisposable
{
    /// <summary>Flush early once this many bytes are buffered, so a long queue does not buffer unboundedly.</summary>
    internal const int FlushThreshold = 64 * 1024;

    private readonly PipeWriter _writer;
    private readonly Channel<OutboundFrame> _queue;
    private readonly CancellationTokenSource _abort = new();
    private readonly Task _loop;
    private readonly Lock _flushGate = new();
    private TaskCompletionSource? _flushWaiter;
    private Exception? _fault;
    private long _queued;
    private long _written;
    private long _flushed;
    private bool _stopped;

    public FrameWriter(PipeWriter writer, int maxFrameSize, int queueCapacity)
    {
        _writer = writer;
        MaxFrameSize = maxFrameSize;
        _queue = Channel.CreateBounded<OutboundFrame>(new BoundedChannelOptions(queueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _loop = Task.Run(WriteLoopAsync);
    }

    public int MaxFrameSize { get; }

    /// <summary>The failure that stopped the loop, if any.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>Completes when the loop stopped (everything written, or a failure).</summary>
    public Task Completion => _loop;

    /// <summary>Queues a frame; completes at once unless the queue is full.</summary>
    /// <exception cref="ChannelClosedException">The writer was completed or failed (the failure is the inner exception).</exception>
    public ValueTask EnqueueAsync(in OutboundFrame frame, CancellationToken cancellationToken) =>
        TryEnqueue(frame) ? default : EnqueueSlowAsync(frame, cancellationToken);

    /// <summary>Queues a frame if the queue has room.</summary>
    /// <returns><see langword="false"/> when the queue is full or the writer was completed.</returns>
    public bool TryEnqueue(in OutboundFrame frame)
    {
        if (!_queue.Writer.TryWrite(frame))
        {
            return false;
        }

        Interlocked.Increment(ref _queued);
        return true;
    }

    /// <summary>Completes when every frame queued before the call was written and flushed.</summary>
    /// <exception cref="IOException">The connection failed before those frames were flushed.</exception>
    /// <exception cref="ObjectDisposedException">The writer was aborted before those frames were flushed.</exception>
    public ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var target = Volatile.Read(ref _queued);
        return Volatile.Read(ref _flushed) >= target ? default : WaitFlushedAsync(target, cancellationToken);
    }

    /// <summary>Queues <paramref name="last"/> as the final frame and waits until everything queued was written and flushed.</summary>
    public async Task CompleteAsync(OutboundFrame? last, CancellationToken cancellationToken)
    {
        if (last is { } frame)
        {
            await EnqueueAsync(frame, cancellationToken).ConfigureAwait(false);
        }

        _queue.Writer.TryComplete();
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (Fault is { } fault)
        {
            throw new IOException($"The connection failed while writing: {fault.Message}", fault);
        }
    }

    /// <summary>Stops at once: queued frames are dropped and a pending flush is cancelled.</summary>
    public void Abort()
    {
        _queue.Writer.TryComplete();
        try
        {
            _abort.Cancel();
        }
        catch (AggregateException)
        {
            // Only wakes the loop.
        }
        catch (ObjectDisposedException)
        {
            // Disposed: the loop has stopped already.
        }
    }

    /// <summary>Aborts (if not done yet), waits until the loop stopped, and releases the writer's resources.</summary>
    /// <remarks>A caller that must also close the stream underneath calls <see cref="Abort"/>, closes it, then disposes.</remarks>
    public async ValueTask DisposeAsync()
    {
        Abort();
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The loop records its own failure (Fault).
        }

        _abort.Dispose();
    }

    private async ValueTask EnqueueSlowAsync(OutboundFrame frame, CancellationToken cancellationToken)
    {
        await _queue.Writer.WriteAsync(frame, cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _queued);
    }

    private async ValueTask WaitFlushedAsync(long target, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task flushed;
            lock (_flushGate)
            {
                if (Volatile.Read(ref _flushed) >= target)
                {
                    return;
                }

                if (_stopped)
                {
                    throw Fault is { } fault
                        ? new IOException($"The connection failed while writing: {fault.Message}", fault)
                        : new ObjectDisposedException(nameof(FrameWriter), "The writer stopped before the frames were flushed.");
                }

                flushed = (_flushWaiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await flushed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Publishes the loop's progress to <see cref="FlushAsync(CancellationToken)"/> waiters: every frame written so far was flushed, or the loop stopped.</summary>
    private void Signal(bool flushed, bool stopped)
    {
        TaskCompletionSource? waiter;
        lock (_flushGate)
        {
            if (flushed)
            {
                Volatile.Write(ref _flushed, _written);
            }

            _stopped |= stopped;
            waiter = _flushWaiter;
            _flushWaiter = null;
        }

        waiter?.TrySetResult();
    }

    private async Task WriteLoopAsync()
    {
        var reader = _queue.Reader;
        try
        {
            // No token on the wait: it stays allocation-free; completing the queue ends it.
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                var buffered = 0;
                while (!_abort.IsCancellationRequested && reader.TryRead(out var frame))
                {
                    buffered += Write(frame);
                    if (buffered >= FlushThreshold)
                    {
                        await FlushAsync().ConfigureAwait(false);
                        buffered = 0;
                    }
                }

                _abort.Token.ThrowIfCancellationRequested();
                if (buffered > 0)
                {
                    await FlushAsync().ConfigureAwait(false);
                }
            }

            await _writer.CompleteAsync().ConfigureAwait(false);
            Signal(flushed: true, stopped: true);
        }
        catch (Exception ex)
        {
            Volatile.Write(ref _fault, ex);
            Signal(flushed: false, stopped: true);
            _queue.Writer.TryComplete(ex);
            while (reader.TryRead(out _))
            {
            }

            try
            {
                await _writer.CompleteAsync(ex).ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The stream is broken already.
            }
        }
    }

    private int Write(in OutboundFrame frame)
    {
        var total = frame.WriteTo(_writer);
        _written++;
        return total;
    }

    private async ValueTask FlushAsync()
    {
        var result = await _writer.FlushAsync(_abort.Token).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException("The flush was cancelled.");
        }

        Signal(flushed: true, stopped: false);
    }
}
