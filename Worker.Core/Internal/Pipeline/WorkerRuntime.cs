using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Aion.Worker.Codec;
using Aion.Worker.Internal.Activities;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// The state of a worker that outlives sessions: the unacked-result tracker, the in-flight table
/// (queued and running tasks), the concurrency count and the current session.
/// </summary>
internal sealed class WorkerRuntime
{
    private readonly Lock _flightGate = new();
    private readonly Dictionary<ExecutionKey, ActivityExecution> _inFlight = [];

    // Per (workflow, position) in flight: how many attempts, and the highest attempt whose outcome was
    // recorded while another attempt was still in flight. It outlives the tracker entry (which an ack
    // removes), so a lower attempt finishing after a higher one was acked is still dropped.
    private readonly Dictionary<ResultKey, AttemptsInFlight> _attempts = [];
    private readonly HashSet<string> _acceptedContentTypes;
    private ServedSession? _current;
    private int _running;
    private long _lastSessionId;

    public WorkerRuntime(WorkerSettings settings, ActivityRegistry registry, IPayloadCodec codec, IReadOnlyCollection<string> acceptedContentTypes, TimeProvider time, ILogger logger, IReadOnlyList<IActivityInterceptor>? interceptors = null, WorkerTelemetry? telemetry = null)
    {
        Settings = settings;
        Telemetry = telemetry ?? WorkerTelemetry.Shared;
        Interceptors = interceptors ?? [];
        IdentityTag = new KeyValuePair<string, object?>(Diagnostics.AionWorkerDiagnostics.Tags.Identity, settings.Identity);
        Registry = registry;
        Codec = codec;
        Time = time;
        Logger = logger;
        Log = new WorkerLog(logger);
        AcceptedContentTypes = acceptedContentTypes;
        _acceptedContentTypes = new HashSet<string>(acceptedContentTypes, StringComparer.Ordinal);
        var register = new RegisterWorker { TaskQueue = settings.TaskQueue, Node = settings.Node };
        register.Namespaces.AddRange(settings.Namespaces);
        register.ActivityTypes.AddRange(registry.SortedTypes());
        RegisterFrame = new WorkerToServer { Register = register };
    }

    public WorkerSettings Settings { get; }

    /// <summary>This worker's instruments (its host's meter, or the process-wide one).</summary>
    public WorkerTelemetry Telemetry { get; }
    public IReadOnlyList<IActivityInterceptor> Interceptors { get; }

    /// <summary>The identity tag every measurement of this worker carries.</summary>
    public KeyValuePair<string, object?> IdentityTag { get; }
    public ActivityRegistry Registry { get; }
    public IPayloadCodec Codec { get; }
    public TimeProvider Time { get; }
    public ILogger Logger { get; }
    public WorkerLog Log { get; }
    public IReadOnlyCollection<string> AcceptedContentTypes { get; }
    public WorkerToServer RegisterFrame { get; }
    public UnackedResultTracker Tracker { get; } = new();

    /// <summary>Signalled whenever an activity finishes (for waits outside a session).</summary>
    public AsyncSignal ActivityFinished { get; } = new();

    public int Running => Volatile.Read(ref _running);

    public int InFlightCount
    {
        get
        {
            lock (_flightGate)
            {
                return _inFlight.Count;
            }
        }
    }

    public ServedSession? CurrentSession => Volatile.Read(ref _current);

    public long NextSessionId() => Interlocked.Increment(ref _lastSessionId);

    public bool AcceptsContentType(string contentType) => _acceptedContentTypes.Contains(contentType);

    /// <summary>Whether an error that ended a registered session may be retried (an expired token is, when a provider can refresh it).</summary>
    public bool IsRetryableMidStream(AionWorkerException error) =>
        error.IsRetryable || (error.StatusCode == StatusCode.Unauthenticated && Settings.BearerTokenProvider is not null);

    public void Publish(ServedSession session) => Volatile.Write(ref _current, session);

    public void Unpublish(ServedSession session) => Interlocked.CompareExchange(ref _current, null, session);

    public ActivityExecution CreateExecution(ActivityTask task, TimeSpan heartbeatWindow, long sessionId)
    {
        Registry.TryGet(task.ActivityType, out var invoker);
        var key = new ExecutionKey(task.WorkflowId.Uuid, task.ActivityId.SequencePosition, task.Attempt);
        return new ActivityExecution(this, task, key, invoker, heartbeatWindow, sessionId);
    }

    /// <summary>Adds a received task to the in-flight table; false when the same attempt is already in flight.</summary>
    public bool TryAdmit(ActivityExecution execution)
    {
        lock (_flightGate)
        {
            if (!_inFlight.TryAdd(execution.Key, execution))
            {
                return false;
            }

            CollectionsMarshal.GetValueRefOrAddDefault(_attempts, execution.Key.ResultKey, out _).Count++;
            return true;
        }
    }

    /// <summary>Forgets a queued task that will never start (its session ended).</summary>
    public void Discard(ActivityExecution execution)
    {
        if (execution.IsRunning)
        {
            return;
        }

        Remove(execution);
    }

    public void Start(ActivityExecution execution)
    {
        if (!execution.TryMarkRunning())
        {
            return;
        }

        Interlocked.Increment(ref _running);
        ThreadPool.UnsafeQueueUserWorkItem(execution, preferLocal: false);
    }

    /// <summary>Records an outcome in the tracker and queues it on the live session, if any.</summary>
    public async ValueTask RecordOutcomeAsync(ActivityExecution execution, WorkerToServer frame)
    {
        execution.MarkDone();
        var key = execution.Key;
        var entry = IsSupersededInFlight(key, out var keptAttempt) ? null : Tracker.Record(key.ResultKey, key.Attempt, frame, out keptAttempt);
        if (entry is null)
        {
            Log.OutcomeSuperseded(key.WorkflowId, key.Position, key.Attempt, keptAttempt);
        }
        else if (CurrentSession is { } session)
        {
            await session.EnqueueResultAsync(entry).ConfigureAwait(false);
        }
    }

    /// <summary>Frees the execution's slot once its outcome is recorded.</summary>
    public void Release(ActivityExecution execution)
    {
        Remove(execution);
        Interlocked.Decrement(ref _running);
        CurrentSession?.Wake();
        ActivityFinished.Set();
    }

    public ValueTask SendProgressAsync(ActivityExecution execution, WorkerToServer frame, CancellationToken cancellationToken) =>
        CurrentSession is { } session ? session.EnqueueProgressAsync(execution, frame, cancellationToken) : default;

    /// <summary>The progress-less heartbeats for every queued and running task that has no outcome yet.</summary>
    public List<WorkerToServer> LivenessFrames()
    {
        lock (_flightGate)
        {
            var frames = new List<WorkerToServer>(_inFlight.Count);
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
    public List<(ActivityExecution Execution, WorkerToServer Frame)> PendingProgress()
    {
        lock (_flightGate)
        {
            var pending = new List<(ActivityExecution, WorkerToServer)>();
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

    public List<ActivityExecution> RunningExecutions()
    {
        lock (_flightGate)
        {
            var running = new List<ActivityExecution>();
            foreach (var execution in _inFlight.Values)
            {
                if (execution.IsRunning)
                {
                    running.Add(execution);
                }
            }

            return running;
        }
    }

    private List<ActivityExecution> UnfinishedExecutions()
    {
        lock (_flightGate)
        {
            return _inFlight.Values.Where(execution => !execution.IsDone).ToList();
        }
    }

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
        foreach (var execution in UnfinishedExecutions())
        {
            var key = execution.Key;
            if (key.WorkflowId == request.WorkflowId && key.Position == request.SequencePosition && (request.Attempt is null || request.Attempt == key.Attempt))
            {
                execution.Cancel(ActivityCancellationReason.CancelRequested);
                count++;
            }
        }

        Log.CancelRequested(request.WorkflowId, request.SequencePosition, request.Attempt?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any", count);
    }

    /// <summary>Waits until no activity runs.</summary>
    public async Task WaitForIdleAsync(CancellationToken cancellationToken)
    {
        while (Running > 0)
        {
            await ActivityFinished.WaitAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The liveness interval for an engine window: max(window / 4, 1 ms), capped at the timer limit.</summary>
    public static TimeSpan LivenessInterval(TimeSpan window)
    {
        var interval = TimeSpan.FromTicks(Math.Max(window.Ticks / 4, TimeSpan.TicksPerMillisecond));
        return interval > WorkerSettings.MaxDuration ? WorkerSettings.MaxDuration : interval;
    }

    /// <summary>Maps any transport failure to the SDK's error, keeping a gRPC status unchanged.</summary>
    public static AionWorkerException ToWorkerException(Exception exception) => exception switch
    {
        AionWorkerException worker => worker,
        RpcException rpc => AionWorkerException.FromStatus(rpc.Status, rpc),
        _ => new AionWorkerException(AionErrorKind.Transport, $"The transport failed: {exception.Message}", innerException: exception),
    };

    /// <summary>Whether a higher attempt of the same activity already produced an outcome while this one was in flight; otherwise notes this outcome when a sibling attempt is still in flight.</summary>
    private bool IsSupersededInFlight(ExecutionKey key, out uint keptAttempt)
    {
        lock (_flightGate)
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

    private void Remove(ActivityExecution execution)
    {
        lock (_flightGate)
        {
            if (_inFlight.TryGetValue(execution.Key, out var current) && ReferenceEquals(current, execution))
            {
                _inFlight.Remove(execution.Key);
                ref var attempts = ref CollectionsMarshal.GetValueRefOrNullRef(_attempts, execution.Key.ResultKey);
                if (!Unsafe.IsNullRef(ref attempts) && --attempts.Count == 0)
                {
                    _attempts.Remove(execution.Key.ResultKey);
                }
            }
        }
    }

    private struct AttemptsInFlight
    {
        public int Count;
        public uint HighestOutcome;
    }
}
