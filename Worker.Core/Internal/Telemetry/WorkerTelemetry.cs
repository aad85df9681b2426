using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Internal.Telemetry;

/// <summary>
/// The worker's ActivitySource (process-wide) and one Meter with its instruments. Costs next to
/// nothing when nobody listens.
/// </summary>
/// <remarks>
/// A worker built with an <see cref="IMeterFactory"/> (a host's) gets the instruments of that
/// factory's <c>Aion.Worker</c> meter, shared only with the other workers of the same factory; a
/// worker without one uses the process-wide <see cref="Shared"/> meter. The gauges report the
/// running workers of their own meter.
/// </remarks>
internal sealed class WorkerTelemetry
{
    private static readonly string Version = typeof(WorkerTelemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    // A factory returns the same Meter for the same name and version: one set of instruments per Meter.
    private static readonly ConditionalWeakTable<Meter, WorkerTelemetry> ByMeter = [];

    // Bucket boundaries in seconds for the duration histograms: from 1 ms to 5 min.
    private static readonly double[] SecondsBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

    private readonly Lock _gate = new();
    private readonly List<WorkerRuntime> _live = [];

    /// <summary>The <c>Aion.Worker</c> ActivitySource.</summary>
    public static readonly ActivitySource Source = new(AionWorkerDiagnostics.SourceName, Version);

    /// <summary>The process-wide instruments, for workers built without an <see cref="IMeterFactory"/>.</summary>
    public static WorkerTelemetry Shared { get; } = new(new Meter(AionWorkerDiagnostics.MeterName, Version));

    private WorkerTelemetry(Meter meter)
    {
        Meter = meter;
        TasksReceived = meter.CreateCounter<long>(AionWorkerDiagnostics.Instruments.TasksReceived, "{task}", "Tasks received from the engine.");
        TasksCompleted = meter.CreateCounter<long>(AionWorkerDiagnostics.Instruments.TasksCompleted, "{task}", "Activities that returned a value.");
        TasksFailed = meter.CreateCounter<long>(AionWorkerDiagnostics.Instruments.TasksFailed, "{task}", "Activities that failed, by outcome (retryable or terminal).");
        ActivityDuration = meter.CreateHistogram(
            AionWorkerDiagnostics.Instruments.ActivityDuration, "s", "Activity execution time.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        HeartbeatsSent = meter.CreateCounter<long>(AionWorkerDiagnostics.Instruments.HeartbeatsSent, "{heartbeat}", "Heartbeats sent, by kind (liveness or progress).");
        SessionsOpened = meter.CreateCounter<long>(AionWorkerDiagnostics.Instruments.SessionsOpened, "{session}", "Sessions registered with the engine.");
        SessionsEnded = meter.CreateCounter<long>(AionWorkerDiagnostics.Instruments.SessionsEnded, "{session}", "Session ends, by class.");
        ReconnectBackoff = meter.CreateHistogram(
            AionWorkerDiagnostics.Instruments.ReconnectBackoff, "s", "Backoff slept before reconnecting.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        meter.CreateObservableGauge(AionWorkerDiagnostics.Instruments.ActivitiesInFlight, () => Observe(static runtime => runtime.Running), "{activity}", "Activities running now.");
        meter.CreateObservableGauge(AionWorkerDiagnostics.Instruments.TasksQueued, () => Observe(static runtime => Math.Max(0, runtime.InFlightCount - runtime.Running)), "{task}", "Tasks received and not yet started.");
        meter.CreateObservableGauge(AionWorkerDiagnostics.Instruments.SlotsAvailable, () => Observe(static runtime => Math.Max(0, runtime.Settings.MaxConcurrency - runtime.Running)), "{slot}", "Free concurrency slots.");
        meter.CreateObservableGauge(AionWorkerDiagnostics.Instruments.ResultsUnacked, () => Observe(static runtime => runtime.Tracker.Count), "{result}", "Results awaiting the engine's ack.");
    }

    public Meter Meter { get; }

    public Counter<long> TasksReceived { get; }

    public Counter<long> TasksCompleted { get; }

    public Counter<long> TasksFailed { get; }

    public Histogram<double> ActivityDuration { get; }

    public Counter<long> HeartbeatsSent { get; }

    public Counter<long> SessionsOpened { get; }

    public Counter<long> SessionsEnded { get; }

    public Histogram<double> ReconnectBackoff { get; }

    /// <summary>The instruments of <paramref name="meterFactory"/>'s <c>Aion.Worker</c> meter, or <see cref="Shared"/> without a factory.</summary>
    public static WorkerTelemetry For(IMeterFactory? meterFactory)
    {
        if (meterFactory is null)
        {
            return Shared;
        }

        var meter = meterFactory.Create(new MeterOptions(AionWorkerDiagnostics.MeterName) { Version = Version });
        return ByMeter.GetValue(meter, static created => new WorkerTelemetry(created));
    }

    /// <summary>Includes a running worker in the gauges.</summary>
    public void Register(WorkerRuntime runtime)
    {
        lock (_gate)
        {
            if (!_live.Contains(runtime))
            {
                _live.Add(runtime);
            }
        }
    }

    public void Unregister(WorkerRuntime runtime)
    {
        lock (_gate)
        {
            _live.Remove(runtime);
        }
    }

    /// <summary>
    /// Starts the span of one activity execution. When the task's labels carry a valid W3C
    /// <c>traceparent</c> (and optionally <c>tracestate</c>), the span continues that trace as a
    /// child of the remote parent; otherwise it is a root span.
    /// </summary>
    public static Activity? StartActivitySpan(Protocol.ActivityTask task, string identity)
    {
        if (!Source.HasListeners())
        {
            return null;
        }

        var parent = RemoteParent(task.Labels);
        var span = Source.StartActivity(AionWorkerDiagnostics.Spans.Activity, ActivityKind.Consumer, parent);
        if (span is null)
        {
            return null;
        }

        span.DisplayName = task.ActivityType;
        span.SetTag(AionWorkerDiagnostics.Tags.Identity, identity);
        span.SetTag(AionWorkerDiagnostics.Tags.ActivityType, task.ActivityType);
        span.SetTag(AionWorkerDiagnostics.Tags.WorkflowId, task.WorkflowId?.Uuid);
        span.SetTag(AionWorkerDiagnostics.Tags.ActivityId, task.ActivityId?.SequencePosition ?? 0);
        span.SetTag(AionWorkerDiagnostics.Tags.Attempt, task.Attempt);
        if (task.RunId is not null)
        {
            span.SetTag(AionWorkerDiagnostics.Tags.RunId, task.RunId.Uuid);
        }

        return span;
    }

    /// <summary>The trace context the labels carry (<c>traceparent</c>, <c>tracestate</c>), or default when there is none or it is invalid.</summary>
    internal static System.Diagnostics.ActivityContext RemoteParent(IReadOnlyDictionary<string, string> labels)
    {
        if (labels.Count == 0 || !labels.TryGetValue(AionWorkerDiagnostics.TraceParentLabel, out var traceParent))
        {
            return default;
        }

        labels.TryGetValue(AionWorkerDiagnostics.TraceStateLabel, out var traceState);
        return System.Diagnostics.ActivityContext.TryParse(traceParent, traceState, isRemote: true, out var context) ? context : default;
    }

    /// <summary>Records an activity's outcome: the completed or failed counter, its duration, and the outcome on its span.</summary>
    public void RecordOutcome(Protocol.ActivityResult result, string activityType, KeyValuePair<string, object?> identityTag, TimeSpan? elapsed, Activity? span)
    {
        var outcome = OutcomeName(result);
        var typeTag = new KeyValuePair<string, object?>(AionWorkerDiagnostics.Tags.ActivityType, activityType);
        var outcomeTag = new KeyValuePair<string, object?>(AionWorkerDiagnostics.Tags.Outcome, outcome);
        if (result.OutcomeCase == Protocol.ActivityResult.OutcomeOneofCase.Result)
        {
            TasksCompleted.Add(1, identityTag, typeTag);
        }
        else
        {
            TasksFailed.Add(1, identityTag, typeTag, outcomeTag);
        }

        if (elapsed is { } duration)
        {
            // Not timed when nobody listened as the activity started.
            ActivityDuration.Record(duration.TotalSeconds, identityTag, typeTag, outcomeTag);
        }
        if (span is not null)
        {
            span.SetTag(AionWorkerDiagnostics.Tags.Outcome, outcome);
            if (result.OutcomeCase == Protocol.ActivityResult.OutcomeOneofCase.Error)
            {
                span.SetStatus(ActivityStatusCode.Error, result.Error.Message);
            }
        }
    }

    public static string OutcomeName(Protocol.ActivityResult result) => result.OutcomeCase == Protocol.ActivityResult.OutcomeOneofCase.Result
        ? "success"
        : result.Error.Kind == Protocol.ActivityErrorKind.Terminal ? "terminal" : "retryable";

    public static string EndKindName(SessionEndKind kind) => kind switch
    {
        SessionEndKind.Shutdown => "shutdown",
        SessionEndKind.Drain => "drain",
        SessionEndKind.CleanClose => "clean_close",
        _ => "error",
    };

    private IEnumerable<Measurement<int>> Observe(Func<WorkerRuntime, int> read)
    {
        WorkerRuntime[] live;
        lock (_gate)
        {
            live = [.. _live];
        }

        foreach (var runtime in live)
        {
            yield return new Measurement<int>(read(runtime), runtime.IdentityTag);
        }
    }
}
