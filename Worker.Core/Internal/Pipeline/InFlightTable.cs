using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// The tasks a worker received and has not finished (queued and running), for the whole run:
/// admission, the concurrency count, the frames the liveness pump beats for, cancellation, and the
/// rule that a lower attempt's outcome never replaces a higher one's.
/// </summary>
internal sealed class InFlightTable(WorkerLog log)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ExecutionKey, ActivityExecution> _inFlight = [];

    // Per (workflow, position) in flight: how many attempts, and the highest attempt whose outcome was
    // recorded while another attempt was still in flight. It outlives the tracker entry (which an ack
    // removes), so a lower attempt finishing after a higher one was acked is still dropped.
    private readonly Dictionary<ResultKey, AttemptsInFlight> _attempts = [];
    private TaskCompletionSource? _idle;
    private int _running;

    /// <summary>How many activities run now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>How many tasks are queued or running.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _inFlight.Count;
            }
        }
    }

    /// <summary>Adds a received task; false when the same attempt is already in flight.</summary>
    public bool TryAdmit(ActivityExecution execution)
    {
        lock (_gate)
        {
            if (!_inFlight.TryAdd(execution.Key, execution))
            {
                return false;
            }

            CollectionsMarshal.GetValueRefOrAddDefault(_attempts, execution.Key.ResultKey, out _).Count++;
            (execution as StagedExecution)?.Stages.Enter();
            return true;
        }
    }

    /// <summary>Forgets a queued task that will never start (its session ended).</summary>
    public void Discard(ActivityExecution execution)
    {
        if (!execution.IsRunning)
        {
            Remove(execution);
        }
    }

    /// <summary>Marks a queued task running and takes its concurrency slot; false when it was already started (the dispatcher's start with stages, which checked the slot count itself).</summary>
    public bool TryStart(ActivityExecution execution)
    {
        if (!execution.TryMarkRunning())
        {
            return false;
        }

        Interlocked.Increment(ref _running);
        return true;
    }

    /// <summary>Takes a concurrency slot when fewer than <paramref name="maxConcurrency"/> are taken (any thread).</summary>
    public bool TryAcquireSlot(int maxConcurrency)
    {
        var running = Volatile.Read(ref _running);
        while (running < maxConcurrency)
        {
            var seen = Interlocked.CompareExchange(ref _running, running + 1, running);
            if (seen == running)
            {
                return true;
            }

            running = seen;
        }

        return false;
    }

    /// <summary>Forgets a finished execution and frees its slot (its outcome is recorded).</summary>
    public void Release(ActivityExecution execution)
    {
        Remove(execution);
        ReleaseSlot();
    }

    /// <summary>Forgets a finished execution whose slot was handed on to the next task.</summary>
    public void Forget(ActivityExecution execution) => Remove(execution);

    /// <summary>Frees a slot (a full fence: a starter that queued a task before this either sees the slot or is seen).</summary>
    public void ReleaseSlot()
    {
        if (Interlocked.Decrement(ref _running) != 0)
        {
            return;
        }

        TaskCompletionSource? idle;
        lock (_gate)
        {
            idle = Volatile.Read(ref _running) == 0 ? _idle : null;
            if (idle is not null)
            {
                _idle = null;
            }
        }

        idle?.TrySetResult();
    }

    /// <summary>Completes when no activity runs (any number of waiters).</summary>
    public Task WhenIdleAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (Volatile.Read(ref _running) == 0)
            {
                return Task.CompletedTask;
            }

            _idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _idle.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Whether a higher attempt of the same activity already produced an outcome while this one was in flight; otherwise notes this outcome when a sibling attempt is still in flight.</summary>
    public bool IsSuperseded(ExecutionKey key, out uint keptAttempt)
    {
        lock (_gate)
        {
            ref var attempts = ref CollectionsMarshal.GetValueRefOrNullRef(_attempts, key.ResultKey);
            keptAttempt = key.Attempt;
            if (Unsafe.IsNullRef(ref attempts))
            {
                return false;
            }

            if (attempts.HighestOutcome > key.Attempt)
            {
                keptAttempt = attempts.HighestOutcome;
                return true;
            }

            if (attempts.Count > 1)
            {
                attempts.HighestOutcome = key.Attempt;
            }

            return false;
        }
    }

    /// <summary>The progress-less heartbeats for every queued and running task that has no outcome yet.</summary>
    public List<Protocol.WorkerToServer> LivenessFrames()
    {
        lock (_gate)
        {
            var frames = new List<Protocol.WorkerToServer>(_inFlight.Count);
            foreach (var execution in _inFlight.Values)
            {
                if (!execution.IsDone)
                {
                    frames.Add(execution.LivenessFrame);
                }
            }

            return frames;
        }
    }

    /// <summary>The latest unsent progress of every running activity, to send on a new session.</summary>
    public List<(ActivityExecution Execution, Protocol.WorkerToServer Frame)> PendingProgress()
    {
        lock (_gate)
        {
            var pending = new List<(ActivityExecution, Protocol.WorkerToServer)>();
            foreach (var execution in _inFlight.Values)
            {
                if (execution.IsRunning && execution.PendingProgress is { } frame)
                {
                    pending.Add((execution, frame));
                }
            }

            return pending;
        }
    }

    public List<ActivityExecution> RunningExecutions() => Select(static execution => execution.IsRunning);

    public void CancelAll(ActivityCancellationReason reason)
    {
        foreach (var execution in RunningExecutions())
        {
            execution.Cancel(reason);
        }
    }

    /// <summary>Cancels the matching queued or running executions: a queued one starts with its token already fired.</summary>
    public void CancelMatching(ActivityCancelRequest request)
    {
        var count = 0;
        foreach (var execution in Select(static execution => !execution.IsDone))
        {
            var key = execution.Key;
            if (key.WorkflowId == request.WorkflowId && key.Position == request.SequencePosition && (request.Attempt is null || request.Attempt == key.Attempt))
            {
                execution.Cancel(ActivityCancellationReason.CancelRequested);
                count++;
            }
        }

        log.CancelRequested(request.WorkflowId, request.SequencePosition, request.Attempt?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any", count);
    }

    private List<ActivityExecution> Select(Func<ActivityExecution, bool> predicate)
    {
        lock (_gate)
        {
            var selected = new List<ActivityExecution>();
            foreach (var execution in _inFlight.Values)
            {
                if (predicate(execution))
                {
                    selected.Add(execution);
                }
            }

            return selected;
        }
    }

    private void Remove(ActivityExecution execution)
    {
        lock (_gate)
        {
            if (!_inFlight.TryGetValue(execution.Key, out var current) || !ReferenceEquals(current, execution))
            {
                return;
            }

            _inFlight.Remove(execution.Key);
            ref var attempts = ref CollectionsMarshal.GetValueRefOrNullRef(_attempts, execution.Key.ResultKey);
            if (!Unsafe.IsNullRef(ref attempts) && --attempts.Count == 0)
            {
                _attempts.Remove(execution.Key.ResultKey);
            }
        }

        // Out of the table, nothing reads the task any more: a tracked outcome keeps the execution until its ack, not the input.
        execution.ReleaseTask();

        // Outside the lock: the last execution of an ended run disposes its stages.
        (execution as StagedExecution)?.Stages.Exit(log);
    }

    private struct AttemptsInFlight
    {
        public int Count;
        public uint HighestOutcome;
    }
}
