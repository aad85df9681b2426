using Aion.Worker.Codec;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>One activity started by <see cref="ActivityTestEnvironment.Start(string, Payload, DispatchOptions?)"/>: its progress heartbeats, its cancellation and its outcome.</summary>
public sealed class ActivityTestRun
{
    private readonly IPayloadCodec _codec;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly List<ActivityTestHeartbeat> _heartbeats = [];
    private readonly List<(int Count, TaskCompletionSource<IReadOnlyList<ActivityTestHeartbeat>> Waiter)> _waiters = [];
    private ActivityExecution? _execution;
    private bool _completed;

    internal ActivityTestRun(ActivityTask task, IPayloadCodec codec, TimeProvider time)
    {
        Task = task;
        _codec = codec;
        _time = time;
    }

    /// <summary>The task as the activity received it (ids, attempt, labels, input).</summary>
    public ActivityTask Task { get; }

    /// <summary>The workflow id.</summary>
    public string WorkflowId => Task.WorkflowId.Uuid;

    /// <summary>The activity id (sequence position).</summary>
    public ulong Position => Task.ActivityId.SequencePosition;

    /// <summary>The attempt.</summary>
    public uint Attempt => Task.Attempt;

    /// <summary>The progress heartbeats the activity sent so far, in order.</summary>
    public IReadOnlyList<ActivityTestHeartbeat> Heartbeats
    {
        get
        {
            lock (_gate)
            {
                return [.. _heartbeats];
            }
        }
    }

    /// <summary>Completes with the outcome once the activity has ended (it never faults: a failure is an outcome).</summary>
    public Task<ActivityTestResult> Completion { get; private set; } = null!;

    /// <summary>Whether the activity has ended.</summary>
    public bool IsCompleted => Completion.IsCompleted;

    /// <summary>Fires the activity's <see cref="ActivityContext.CancellationToken"/> as the worker would, with the reason it would give.</summary>
    /// <param name="reason">
    /// <see cref="ActivityCancellationReason.CancelRequested"/>: the engine asked to cancel it (an activity that stops is reported TERMINAL);
    /// <see cref="ActivityCancellationReason.Shutdown"/>: the worker is shutting down (reported RETRYABLE).
    /// </param>
    /// <remarks>Only the first call counts, as in the worker; after the activity ended it has no effect.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="reason"/> is <see cref="ActivityCancellationReason.None"/> or undefined.</exception>
    public void Cancel(ActivityCancellationReason reason)
    {
        if (reason is not (ActivityCancellationReason.CancelRequested or ActivityCancellationReason.Shutdown))
        {
            throw new ArgumentOutOfRangeException(nameof(reason), reason, "Cancel with CancelRequested (the engine's request) or Shutdown (the worker stopping).");
        }

        _execution!.Cancel(reason);
    }

    /// <summary>Waits until the activity has sent at least <paramref name="count"/> progress heartbeats.</summary>
    /// <param name="count">How many heartbeats to wait for (at least 1).</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The heartbeats sent by then.</returns>
    /// <exception cref="InvalidOperationException">The activity ended with fewer heartbeats.</exception>
    public Task<IReadOnlyList<ActivityTestHeartbeat>> WaitForHeartbeatsAsync(int count = 1, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        lock (_gate)
        {
            if (_heartbeats.Count >= count)
            {
                return System.Threading.Tasks.Task.FromResult<IReadOnlyList<ActivityTestHeartbeat>>([.. _heartbeats]);
            }

            if (_completed)
            {
                return System.Threading.Tasks.Task.FromException<IReadOnlyList<ActivityTestHeartbeat>>(TooFew(count));
            }

            var waiter = new TaskCompletionSource<IReadOnlyList<ActivityTestHeartbeat>>(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, waiter));
            return cancellationToken.CanBeCanceled ? waiter.Task.WaitAsync(cancellationToken) : waiter.Task;
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{Task.ActivityType} {WorkflowId}/{Position} attempt {Attempt}{(IsCompleted ? " (completed)" : string.Empty)}";

    internal void Begin(ActivityExecution execution, IServiceProvider? services)
    {
        _execution = execution;
        execution.TryMarkRunning();
        // On the thread pool, as the worker starts activities: Start returns before a synchronous handler runs.
        Completion = System.Threading.Tasks.Task.Run(async () =>
        {
            var frame = await execution.ExecuteAsync(services).ConfigureAwait(false);
            execution.MarkDone();
            await execution.DisposeResourcesAsync().ConfigureAwait(false);
            var result = new ActivityTestResult(Task, frame.Result, Complete(), _codec);
            return result;
        });
    }

    /// <summary>The runtime's progress sink: records a heartbeat exactly as the worker would have sent it.</summary>
    internal ValueTask Capture(ActivityExecution execution, WorkerToServer frame, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        execution.ProgressSent(frame);
        List<TaskCompletionSource<IReadOnlyList<ActivityTestHeartbeat>>>? ready = null;
        IReadOnlyList<ActivityTestHeartbeat> snapshot;
        lock (_gate)
        {
            _heartbeats.Add(new ActivityTestHeartbeat(frame.Heartbeat, _heartbeats.Count, _time.GetUtcNow(), _codec));
            snapshot = [.. _heartbeats];
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Count <= _heartbeats.Count)
                {
                    (ready ??= []).Add(_waiters[i].Waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (ready is not null)
        {
            foreach (var waiter in ready)
            {
                waiter.TrySetResult(snapshot);
            }
        }

        return default;
    }

    private IReadOnlyList<ActivityTestHeartbeat> Complete()
    {
        IReadOnlyList<ActivityTestHeartbeat> heartbeats;
        (int Count, TaskCompletionSource<IReadOnlyList<ActivityTestHeartbeat>> Waiter)[] waiters;
        lock (_gate)
        {
            _completed = true;
            heartbeats = [.. _heartbeats];
            waiters = [.. _waiters];
            _waiters.Clear();
        }

        foreach (var (count, waiter) in waiters)
        {
            waiter.TrySetException(TooFew(count));
        }

        return heartbeats;
    }

    private InvalidOperationException TooFew(int count) =>
        new($"The activity {WorkflowId}/{Position} ended after {_heartbeats.Count} progress heartbeat(s); {count} were awaited.");
}
