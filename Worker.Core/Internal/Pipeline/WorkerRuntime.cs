using Aion.Worker.Codec;
using Aion.Worker.Internal.Activities;
using Aion.Worker.Internal.Session;
using Aion.Worker.Internal.Stages;
using Aion.Worker.Pipeline;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// What one worker keeps across runs and sessions: its settings and services, the unacked-result
/// tracker, the in-flight table, the reporter activities report through, and the run's pipeline.
/// </summary>
internal sealed class WorkerRuntime
{
    private WorkerPipeline? _pipeline;
    private long _lastSessionId;

    public WorkerRuntime(WorkerSettings settings, ActivityRegistry registry, IPayloadCodec codec, IReadOnlyCollection<string> acceptedContentTypes, TimeProvider time, ILogger logger, IReadOnlyList<IActivityInterceptor>? interceptors = null, WorkerTelemetry? telemetry = null)
    {
        Settings = settings;
        Telemetry = telemetry ?? WorkerTelemetry.Shared;
        Interceptors = interceptors ?? [];
        InterceptorContinuations = CreateInterceptorContinuations(Interceptors.Count);
        IdentityTag = new KeyValuePair<string, object?>(Diagnostics.AionWorkerDiagnostics.Tags.Identity, settings.Identity);
        Registry = registry;
        Codec = codec;
        Time = time;
        Logger = logger;
        Log = new WorkerLog(logger);
        InFlight = new InFlightTable(Log);
        Outcomes = new ActivityOutcomeBuilder(codec, acceptedContentTypes, settings.MaxSendMessageSize, Log);
        Reporter = new ResultReporter(this);
        var register = new RegisterWorker { TaskQueue = settings.TaskQueue, Node = settings.Node };
        register.Namespaces.AddRange(settings.Namespaces);
        register.ActivityTypes.AddRange(registry.SortedTypes());
        RegisterFrame = new WorkerToServer { Register = register };
    }

    public WorkerSettings Settings { get; }

    /// <summary>This worker's instruments (its host's meter, or the process-wide one).</summary>
    public WorkerTelemetry Telemetry { get; }
    public IReadOnlyList<IActivityInterceptor> Interceptors { get; }

    /// <summary>The continuation interceptor <c>i</c> gets: the rest of the chain for the execution of the context it is given.</summary>
    public IReadOnlyList<ActivityInvocation> InterceptorContinuations { get; }

    /// <summary>The identity tag every measurement of this worker carries.</summary>
    public KeyValuePair<string, object?> IdentityTag { get; }
    public ActivityRegistry Registry { get; }
    public IPayloadCodec Codec { get; }
    public TimeProvider Time { get; }
    public ILogger Logger { get; }
    public WorkerLog Log { get; }
    public WorkerToServer RegisterFrame { get; }
    public UnackedResultTracker Tracker { get; } = new();
    public InFlightTable InFlight { get; }
    public ActivityOutcomeBuilder Outcomes { get; }
    public ResultReporter Reporter { get; }

    /// <summary>
    /// Where progress heartbeats go when no run's pipeline is attached: set by the in-memory package's
    /// ActivityTestEnvironment, which runs activities without a pipeline and captures their progress;
    /// <see langword="null"/> in a worker (progress is kept as the latest until the next session).
    /// </summary>
    public Func<ActivityExecution, WorkerToServer, CancellationToken, ValueTask>? ProgressSink { get; init; }

    /// <summary>
    /// The session the worker uses for one a transport opened (or the caller passed in): the
    /// one-sender/one-receiver guard directly around it; the session middleware (<see cref="Stages"/>) wraps the result.
    /// </summary>
    public static IWorkerSession OpenSession(IWorkerSession transportSession) => new SessionCallGuard(transportSession);

    /// <summary>How many activities run now.</summary>
    public int Running => InFlight.Running;

    /// <summary>How many tasks are queued or running.</summary>
    public int InFlightCount => InFlight.Count;

    /// <summary>The pipeline of the run in progress, where activities report; <see langword="null"/> between runs.</summary>
    public WorkerPipeline? Pipeline
    {
        get => Volatile.Read(ref _pipeline);
        set => Volatile.Write(ref _pipeline, value);
    }

    /// <summary>The session the run serves now, or <see langword="null"/> between sessions.</summary>
    public SessionAdapter? CurrentSession => Pipeline?.Attached;

    private static ActivityInvocation[] CreateInterceptorContinuations(int count)
    {
        var continuations = new ActivityInvocation[count];
        for (var i = 0; i < count; i++)
        {
            var next = i + 1;
            continuations[i] = (context, input) =>
            {
                ArgumentNullException.ThrowIfNull(context);
                return context.Execution.InvokeAt(next, context, input);
            };
        }

        return continuations;
    }

    public long NextSessionId() => Interlocked.Increment(ref _lastSessionId);

    /// <summary>How many executions started as a thread-pool work item of their own (not handed a slot, not inline); for tests and diagnostics.</summary>
    internal long WorkItemStarts;

    public ActivityExecution CreateExecution(ActivityTask task, WorkerRegistration registration, long sessionId, RunStages stages, string? rejection = null)
    {
        ActivityInvoker? invoker = null;
        if (rejection is null)
        {
            Registry.TryGet(task.ActivityType, out invoker);
        }

        var key = new ExecutionKey(task.WorkflowId.Uuid, task.ActivityId.SequencePosition, task.Attempt);

        // Only a worker with stages pays for their per-task state (a rejected task never meets a stage).
        return stages.IsEmpty || rejection is not null
            ? new ActivityExecution(this, task, key, invoker, registration, sessionId) { Rejection = rejection }
            : new StagedExecution(this, task, key, invoker, registration, sessionId, stages);
    }

    /// <summary>The stages users composed (frozen at build).</summary>
    public PipelineDefinition Stages { get; init; } = PipelineDefinition.Empty;

    /// <summary>The logger factory stages get.</summary>
    public ILoggerFactory LoggerFactory { get; init; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    /// <summary>The host's root services, when hosted.</summary>
    public IServiceProvider? Services { get; init; }

    /// <summary>The context the stage factories of a run get.</summary>
    public PipelineStageContext StageContext() => new(Settings.Identity, Time, LoggerFactory, Services);

    /// <summary>Starts a queued task the dispatcher admitted through the stages, taking its concurrency slot (inline or on the thread pool).</summary>
    public void Start(ActivityExecution execution)
    {
        if (InFlight.TryStart(execution))
        {
            execution.Launch();
        }
    }

    /// <summary>Maps any transport failure to the SDK's error, keeping a gRPC status unchanged.</summary>
    public static AionWorkerException ToWorkerException(Exception exception) => exception switch
    {
        AionWorkerException worker => worker,
        RpcException rpc => AionWorkerException.FromStatus(rpc.Status, rpc),
        _ => new AionWorkerException(AionErrorKind.Transport, $"The transport failed: {exception.Message}", innerException: exception),
    };
}
