using System.Threading.Channels;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// The run's inbound channel: validated tasks received and not started, each tagged with the
/// session it came from (<see cref="ActivityExecution.SessionId"/>). The read pump stops reading
/// while MaxQueuedTasks wait, unless the unacked tracker (not concurrency) keeps tasks from
/// starting: then it reads past a full queue to reach the acks behind the tasks, up to the read-past
/// allowance. Acks, drains and cancel requests never enter it.
/// </summary>
internal sealed class InboundQueue
{
    private readonly Channel<ActivityExecution> _channel;
    private readonly AsyncSignal _space = new();
    private readonly int _maxQueued;
    private volatile bool _readPast;

    public InboundQueue(WorkerSettings settings)
    {
        _maxQueued = settings.MaxQueuedTasks;
        Capacity = (int)Math.Min(int.MaxValue, (long)settings.MaxQueuedTasks + ReadPastAllowance(settings));
        _channel = Channel.CreateBounded<ActivityExecution>(new BoundedChannelOptions(Capacity)
        {
            SingleReader = false,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The channel's bound: MaxQueuedTasks plus the read-past allowance.</summary>
    public int Capacity { get; }

    /// <summary>Tasks waiting to start.</summary>
    public int Count => _channel.Reader.Count;

    /// <summary>The channel itself (its identity shows it outlives sessions).</summary>
    internal ChannelReader<ActivityExecution> Reader => _channel.Reader;

    /// <summary>How many tasks the read pump may read past a full queue: as many as the tracker can hold (issue #14 adds a byte bound here).</summary>
    public static int ReadPastAllowance(WorkerSettings settings) => settings.MaxUnackedResults;

    /// <summary>Queues a task from the read pump: waits while MaxQueuedTasks wait (unless reading past), or while the channel is full.</summary>
    public ValueTask EnqueueAsync(ActivityExecution execution, CancellationToken sessionEnd) =>
        (_channel.Reader.Count < _maxQueued || _readPast) && _channel.Writer.TryWrite(execution)
            ? default
            : EnqueueSlowAsync(execution, sessionEnd);

    /// <summary>Takes the next task for the dispatcher, making room for the read pump.</summary>
    public bool TryTake(out ActivityExecution execution)
    {
        if (!_channel.Reader.TryRead(out execution!))
        {
            return false;
        }

        _space.Set();
        return true;
    }

    /// <summary>Lets the read pump read past a full queue (the unacked tracker is what blocks), or stops it.</summary>
    public void ReadPast(bool allowed)
    {
        if (allowed == _readPast)
        {
            return;
        }

        _readPast = allowed;
        if (allowed)
        {
            _space.Set();
        }
    }

    /// <summary>Drains the channel, handing every task to <paramref name="discard"/> (a dead session's tasks are never started); returns how many.</summary>
    public int Purge(Action<ActivityExecution> discard)
    {
        var purged = 0;
        while (_channel.Reader.TryRead(out var execution))
        {
            discard(execution);
            purged++;
        }

        return purged;
    }

    /// <summary>Completes the channel at the end of the run.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    private async ValueTask EnqueueSlowAsync(ActivityExecution execution, CancellationToken sessionEnd)
    {
        // Stop reading while the queue is full (HTTP/2 flow control pushes back on the engine),
        // unless the unacked tracker is the blocker: the acks that free it may sit behind these tasks.
        while (_channel.Reader.Count >= _maxQueued && !_readPast)
        {
            await _space.WaitAsync().WaitAsync(sessionEnd).ConfigureAwait(false);
        }

        if (!_channel.Writer.TryWrite(execution))
        {
            await _channel.Writer.WriteAsync(execution, sessionEnd).ConfigureAwait(false);
        }
    }
}
