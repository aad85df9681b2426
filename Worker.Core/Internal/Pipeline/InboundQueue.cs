using System.Threading.Channels;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// The run's inbound channel: validated tasks received and not started, each tagged with the
/// session it came from (<see cref="ActivityExecution.SessionId"/>). The read pump stops reading
/// while MaxQueuedTasks wait, unless the unacked tracker (not concurrency) keeps tasks from
/// starting: then it reads past a full queue to reach the acks behind the tasks, as long as the
/// queued task frames hold less than <see cref="ReadPastBytes"/> bytes. The bound is on bytes, not
/// on a count, because the engine may put any number of re-dispatched tasks ahead of the acks (a
/// count bound let lost acks livelock the run). Acks, drains and cancel requests never enter it.
/// </summary>
internal sealed class InboundQueue
{
    /// <summary>What the dispatcher's admission filters say about a queued task.</summary>
    public enum Admission : byte
    {
        /// <summary>It starts now (its room is reserved).</summary>
        Start,

        /// <summary>Not now: try the next queued task.</summary>
        PassOver,

        /// <summary>It was queued by a session that ended: never started.</summary>
        Discard,
    }

    private readonly Channel<ActivityExecution> _channel;
    private readonly AsyncSignal _space = new();
    private readonly int _maxQueued;
    private long _queuedBytes;
    private volatile bool _readPast;

    // With admission filters or inbound stages only: tasks taken from the channel but neither started
    // nor settled — the one the stages are deciding about (or holding), and those the filters passed
    // over, in arrival order. They still count toward MaxQueuedTasks.
    private readonly Lock _asideGate = new();
    private readonly List<ActivityExecution> _passedOver = [];
    private int _aside;

    public InboundQueue(WorkerSettings settings)
    {
        _maxQueued = settings.MaxQueuedTasks;
        ReadPastBytes = AionWorkerOptions.ReadPastByteLimit;

        // Unbounded as a channel: EnqueueAsync bounds it (MaxQueuedTasks, then the read-past bytes).
        _channel = Channel.CreateUnbounded<ActivityExecution>(new UnboundedChannelOptions
        {
            SingleReader = false,
            SingleWriter = true,
        });
    }

    /// <summary>How many bytes of queued task frames the read pump may hold while reading past a full queue.</summary>
    public long ReadPastBytes { get; }

    /// <summary>Tasks waiting to start.</summary>
    public int Count => _channel.Reader.Count + Volatile.Read(ref _aside);

    /// <summary>The encoded bytes of the tasks waiting to start.</summary>
    public long QueuedBytes => Interlocked.Read(ref _queuedBytes);

    /// <summary>Whether the read pump waits because even reading past, the queued task frames reached <see cref="ReadPastBytes"/>.</summary>
    public bool ReadPastExhausted => _readPast && QueuedBytes >= ReadPastBytes;

    /// <summary>The channel itself (its identity shows it outlives sessions).</summary>
    internal ChannelReader<ActivityExecution> Reader => _channel.Reader;

    /// <summary>Queues a task from the read pump: waits while MaxQueuedTasks wait, unless reading past within the byte bound.</summary>
    public ValueTask EnqueueAsync(ActivityExecution execution, CancellationToken sessionEnd)
    {
        execution.QueuedSize = execution.Task.CalculateSize();
        return HasRoom() ? Write(execution) : EnqueueSlowAsync(execution, sessionEnd);
    }

    /// <summary>Takes the next task for the dispatcher, making room for the read pump.</summary>
    public bool TryTake(out ActivityExecution execution)
    {
        if (!_channel.Reader.TryRead(out execution!))
        {
            return false;
        }

        Interlocked.Add(ref _queuedBytes, -execution.QueuedSize);
        _space.Set();
        return true;
    }

    /// <summary>
    /// Takes the first queued task that <paramref name="choose"/> lets start now, for a pipeline with
    /// admission filters or inbound stages: first among the tasks passed over before (in arrival
    /// order), then from the channel, passing over the tasks it refuses. The task taken stays counted
    /// as queued until <see cref="Settle"/>.
    /// </summary>
    public bool TryTakeAdmissible(Func<ActivityExecution, Admission> choose, Action<ActivityExecution> discard, out ActivityExecution execution)
    {
        lock (_asideGate)
        {
            for (var i = 0; i < _passedOver.Count; i++)
            {
                var candidate = _passedOver[i];
                var admission = choose(candidate);
                if (admission == Admission.PassOver)
                {
                    continue;
                }

                _passedOver.RemoveAt(i);
                if (admission == Admission.Start)
                {
                    execution = candidate;
                    return true;
                }

                i--;
                _aside--;
                _space.Set();
                discard(candidate);
            }

            while (_channel.Reader.TryRead(out var candidate))
            {
                // Out of the channel: it counts toward MaxQueuedTasks until settled, no longer toward the read-past bytes.
                Interlocked.Add(ref _queuedBytes, -candidate.QueuedSize);
                _aside++;
                var admission = choose(candidate);
                if (admission == Admission.Start)
                {
                    execution = candidate;
                    return true;
                }

                if (admission == Admission.PassOver)
                {
                    _passedOver.Add(candidate);
                    continue;
                }

                _aside--;
                _space.Set();
                discard(candidate);
            }
        }

        execution = null!;
        return false;
    }

    /// <summary>A task from <see cref="TryTakeAdmissible"/> started, failed or was discarded: it no longer counts as queued.</summary>
    public void Settle()
    {
        lock (_asideGate)
        {
            _aside--;
        }

        _space.Set();
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
            Interlocked.Add(ref _queuedBytes, -execution.QueuedSize);
            discard(execution);
            purged++;
        }

        lock (_asideGate)
        {
            foreach (var execution in _passedOver)
            {
                discard(execution);
                purged++;
            }

            _aside -= _passedOver.Count;
            _passedOver.Clear();
        }

        _space.Set();
        return purged;
    }

    /// <summary>Completes the channel at the end of the run.</summary>
    public void Complete() => _channel.Writer.TryComplete();

    private bool HasRoom() => Count < _maxQueued || (_readPast && QueuedBytes < ReadPastBytes);

    private ValueTask Write(ActivityExecution execution)
    {
        Interlocked.Add(ref _queuedBytes, execution.QueuedSize);
        if (!_channel.Writer.TryWrite(execution))
        {
            Interlocked.Add(ref _queuedBytes, -execution.QueuedSize);
            throw new ChannelClosedException();
        }

        return default;
    }

    private async ValueTask EnqueueSlowAsync(ActivityExecution execution, CancellationToken sessionEnd)
    {
        // Stop reading while the queue is full (HTTP/2 flow control pushes back on the engine),
        // unless the unacked tracker is the blocker: the acks that free it may sit behind these tasks.
        while (!HasRoom())
        {
            await _space.WaitAsync(sessionEnd).ConfigureAwait(false);
        }

        await Write(execution).ConfigureAwait(false);
    }
}
