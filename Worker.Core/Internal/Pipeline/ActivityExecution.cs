using System.Collections;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using Aion.Worker.Internal.Activities;
using Aion.Worker.Protocol;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>One task from receipt to outcome: queued, then running, then done.</summary>
/// <remarks>
/// Also the log scope of the activity (workflow id, activity id, attempt, type), so the scope costs
/// no allocation, and its own <see cref="TrackedResult"/> until the engine acks the outcome (one
/// object per task). When its slot is freed it drops its task (<see cref="ReleaseTask"/>): the
/// input is not kept alive until the ack (the tracker's byte bound counts result frames only).
/// </remarks>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
internal class ActivityExecution : TrackedResult, IThreadPoolWorkItem, IReadOnlyList<KeyValuePair<string, object?>>
{
    private const int Queued = 0;
    private const int Running = 1;
    private const int Done = 2;

    private readonly WorkerRuntime _runtime;
    private readonly ActivityInvoker? _invoker;
    // Created on first use: most handlers never look at their token, and it is the largest per-task object.
    private CancellationTokenSource? _cancellation;
    private int _state;
    private int _cancellationReason;
    // What few executions use (a rejection, progress, resources, a liveness frame), in one object made on first use: 24 bytes less per task.
    private ExecutionRareState? _rare;
    private ActivityTask? _task;

    public ActivityExecution(WorkerRuntime runtime, ActivityTask task, ExecutionKey key, ActivityInvoker? invoker, WorkerRegistration registration, long sessionId)
        : base(key.ResultKey, key.Attempt)
    {
        _runtime = runtime;
        _task = task;
        ActivityType = task.ActivityType;
        _invoker = invoker;
        Registration = registration;
        SessionId = sessionId;
    }

    /// <summary>The task; throws once the execution's slot was freed (<see cref="ReleaseTask"/>).</summary>
    public ActivityTask Task => Volatile.Read(ref _task) ?? throw new InvalidOperationException($"The activity {this} finished: its task was released.");

    public string ActivityType { get; }
    public ExecutionKey Key => new(ResultKey, Attempt);

    /// <summary>The registration of the session that dispatched this task.</summary>
    public WorkerRegistration Registration { get; }

    public TimeSpan HeartbeatWindow => Registration.HeartbeatWindow;

    /// <summary>The session that dispatched this task.</summary>
    public long SessionId { get; }

    /// <summary>The encoded size of the task frame while it waits in the inbound queue (its share of the read-past bound).</summary>
    public int QueuedSize { get; set; }

    /// <summary>When set, the task is not run: it is reported TERMINAL with this message (an input over MaxTaskInputSize, a frame that decoded only as far as its ids).</summary>
    public string? Rejection
    {
        get => Volatile.Read(ref _rare)?.Rejection;
        init
        {
            if (value is not null)
            {
                Rare.Rejection = value;
            }
        }
    }

    public bool IsRunning => Volatile.Read(ref _state) == Running;
    public bool IsDone => Volatile.Read(ref _state) == Done;
    public CancellationToken CancellationToken => Cancellation.Token;
    public ActivityCancellationReason CancellationReason => (ActivityCancellationReason)Volatile.Read(ref _cancellationReason);
    public ILogger Logger => _runtime.Logger;

    internal WorkerRuntime Runtime => _runtime;

    private CancellationTokenSource Cancellation
    {
        get
        {
            var cancellation = Volatile.Read(ref _cancellation);
            if (cancellation is not null)
            {
                return cancellation;
            }

            var created = new CancellationTokenSource();
            return Interlocked.CompareExchange(ref _cancellation, created, null) ?? created;
        }
    }

    private ExecutionRareState Rare => Volatile.Read(ref _rare) ?? Interlocked.CompareExchange(ref _rare, new ExecutionRareState(), null) ?? _rare!;

    /// <summary>The progress-less heartbeat the liveness pump sends for this task (built once).</summary>
    public WorkerToServer LivenessFrame => Rare.LivenessFrame ??= new WorkerToServer
    {
        Heartbeat = new Heartbeat { WorkflowId = Task.WorkflowId, ActivityId = Task.ActivityId },
    };

    /// <summary>The latest progress heartbeat not yet confirmed sent.</summary>
    public WorkerToServer? PendingProgress => Volatile.Read(ref _rare) is { } rare ? Volatile.Read(ref rare.PendingProgress) : null;

    public void ProgressSent(WorkerToServer frame)
    {
        if (Volatile.Read(ref _rare) is { } rare)
        {
            Interlocked.CompareExchange(ref rare.PendingProgress, null, frame);
        }
    }

    public void Cancel(ActivityCancellationReason reason)
    {
        if (Interlocked.CompareExchange(ref _cancellationReason, (int)reason, (int)ActivityCancellationReason.None) == (int)ActivityCancellationReason.None)
        {
            try
            {
                Cancellation.Cancel();
            }
            catch (AggregateException ex)
            {
                _runtime.Log.CancellationCallbackFailed(ex, Key.WorkflowId, Key.Position, Key.Attempt);
            }
        }
    }

    /// <summary>Marks the execution running; false when it was already started.</summary>
    public bool TryMarkRunning() => Interlocked.CompareExchange(ref _state, Running, Queued) == Queued;

    public void MarkDone() => Volatile.Write(ref _state, Done);

    /// <summary>
    /// Whether the execution runs on the thread that starts it instead of a thread-pool work item:
    /// a handler registered with <see cref="ActivityOptions.RunInline"/>, or a task reported without
    /// running a handler (rejected, or no handler registered).
    /// </summary>
    public bool RunsInline => _invoker is null || Rejection is not null || _invoker.RunsInline;

    /// <summary>Runs the started execution: on this thread when it <see cref="RunsInline"/>, else as a thread-pool work item.</summary>
    public void Launch() => ExecutionChain.Launch(this);

    void IThreadPoolWorkItem.Execute() => ExecutionChain.Run(this, startedInline: false);

    /// <summary>Drops the task (and its input) once the execution left the in-flight table: what stays until the ack is the outcome.</summary>
    public void ReleaseTask() => Volatile.Write(ref _task, null);

    public ValueTask HeartbeatAsync<TProgress>(TProgress progress, CancellationToken cancellationToken) =>
        HeartbeatAsync(progress as Payload ?? _runtime.Codec.Encode(progress), cancellationToken);

    /// <summary>Sends a progress heartbeat, or keeps it as the latest until the next session; throws only for misuse.</summary>
    public ValueTask HeartbeatAsync(Payload payload, CancellationToken cancellationToken)
    {
        if (this is StagedExecution { Stages.TransformsOutbound: true } staged)
        {
            return staged.TransformAndSendProgressAsync(payload, cancellationToken);
        }

        return SendProgressAsync(payload, cancellationToken);
    }

    /// <summary>Sends a progress payload that went through the outbound stages.</summary>
    protected ValueTask SendProgressAsync(Payload payload, CancellationToken cancellationToken)
    {
        var frame = _runtime.Outcomes.Progress(Task, payload);
        Volatile.Write(ref Rare.PendingProgress, frame);
        return _runtime.Reporter.SendProgressAsync(this, frame, cancellationToken);
    }

    public void DisposeAfterOutcome(IAsyncDisposable resource)
    {
        lock (this)
        {
            (Rare.DisposeAfterOutcome ??= []).Add(resource);
        }
    }

    /// <summary>
    /// Runs the activity (interceptors first) in its log scope and builds the frame the worker reports:
    /// the result, or the classified failure, within the size limit. The one path from handler to
    /// outcome, shared by the worker and the in-memory package's ActivityTestEnvironment.
    /// </summary>
    /// <param name="services">The execution's services, when the caller provides them.</param>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    internal async ValueTask<WorkerToServer> ExecuteAsync(IServiceProvider? services)
    {
        var outcomes = _runtime.Outcomes;
        WorkerToServer frame;
        using (_runtime.Logger.BeginScope(this))
        {
            var staged = this as StagedExecution;
            try
            {
                if (Rejection is { } rejection)
                {
                    frame = ActivityOutcomeBuilder.Failure(Task, Protocol.ActivityErrorKind.Terminal, rejection, null);
                }
                else if (_invoker is null)
                {
                    frame = ActivityOutcomeBuilder.NoHandler(Task);
                }
                else
                {
                    var context = new ActivityContext(this);
                    if (services is not null)
                    {
                        context.Services = services;
                    }

                    var output = await InvokeAsync(context).ConfigureAwait(false);
                    frame = staged is { Stages.TransformsOutbound: true }
                        ? await staged.SuccessAsync(output).ConfigureAwait(false)
                        : outcomes.Success(Task, output);
                }
            }
            catch (Exception ex)
            {
                frame = outcomes.Classify(Task, ex, Volatile.Read(ref _cancellation)?.IsCancellationRequested == true, CancellationReason);
                if (staged is { Stages.TransformsOutbound: true } && frame.Result.Error?.Details is not null)
                {
                    frame = await staged.TransformDetailsAsync(frame).ConfigureAwait(false);
                }
            }

            return outcomes.EnforceSizeLimit(Task, frame);
        }
    }

    private ValueTask<Payload> InvokeAsync(ActivityContext context)
    {
        var interceptors = _runtime.Interceptors;
        return interceptors.Count == 0
            ? _invoker!.InvokeAsync(Task.Input, context, _runtime.Codec)
            : InvokeAt(0, context, Task.Input);
    }

    /// <summary>Runs the interceptors from <paramref name="index"/> on, then the activity; each continuation is the runtime's, built once (no closure per task).</summary>
    internal ValueTask<Payload> InvokeAt(int index, ActivityContext context, Payload input)
    {
        var interceptors = _runtime.Interceptors;
        return index == interceptors.Count
            ? _invoker!.InvokeAsync(input, context, _runtime.Codec)
            : interceptors[index].InterceptAsync(context, input, _runtime.InterceptorContinuations[index]);
    }

    /// <summary>Disposes what was registered with <see cref="DisposeAfterOutcome"/>, last first; failures are logged.</summary>
    internal ValueTask DisposeResourcesAsync()
    {
        List<IAsyncDisposable>? resources;
        lock (this)
        {
            var rare = Volatile.Read(ref _rare);
            resources = rare?.DisposeAfterOutcome;
            if (rare is not null)
            {
                rare.DisposeAfterOutcome = null;
            }
        }

        return resources is null ? default : ExecutionRareState.DisposeAllAsync(resources, _runtime.Log, Key);
    }

    // The log scope.
    int IReadOnlyCollection<KeyValuePair<string, object?>>.Count => 4;

    KeyValuePair<string, object?> IReadOnlyList<KeyValuePair<string, object?>>.this[int index] => index switch
    {
        0 => new("WorkflowId", Key.WorkflowId),
        1 => new("ActivityId", Key.Position),
        2 => new("Attempt", Key.Attempt),
        3 => new("ActivityType", ActivityType),
        _ => throw new ArgumentOutOfRangeException(nameof(index)),
    };

    IEnumerator<KeyValuePair<string, object?>> IEnumerable<KeyValuePair<string, object?>>.GetEnumerator()
    {
        var self = (IReadOnlyList<KeyValuePair<string, object?>>)this;
        for (var i = 0; i < 4; i++)
        {
            yield return self[i];
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<KeyValuePair<string, object?>>)this).GetEnumerator();

    private string DebuggerDisplay =>
        $"{ActivityType} {Key.WorkflowId}/{Key.Position} attempt {Key.Attempt}: {Volatile.Read(ref _state) switch { Queued => "queued", Running => "running", _ => "done" }}" +
        $"{(CancellationReason == ActivityCancellationReason.None ? string.Empty : $", cancelled ({CancellationReason})")}, session {SessionId}";

    public override string ToString() => $"WorkflowId:{Key.WorkflowId} ActivityId:{Key.Position} Attempt:{Key.Attempt} ActivityType:{ActivityType}";
}
