namespace Aion.Worker.Diagnostics;

/// <summary>The names of the worker's <see cref="System.Diagnostics.ActivitySource"/>, <see cref="System.Diagnostics.Metrics.Meter"/>, instruments and tags.</summary>
/// <remarks>
/// Subscribe with OpenTelemetry's <c>AddSource(AionWorkerDiagnostics.SourceName)</c> and
/// <c>AddMeter(AionWorkerDiagnostics.MeterName)</c>. Every measurement and span carries
/// <see cref="Tags.Identity"/> (the worker's <see cref="AionWorkerOptions.Identity"/>).
/// </remarks>
public static class AionWorkerDiagnostics
{
    /// <summary>The <see cref="System.Diagnostics.ActivitySource"/> name: <c>Aion.Worker</c>.</summary>
    public const string SourceName = "Aion.Worker";

    /// <summary>The <see cref="System.Diagnostics.Metrics.Meter"/> name: <c>Aion.Worker</c>.</summary>
    public const string MeterName = "Aion.Worker";

    /// <summary>The task label holding a W3C trace context's <c>traceparent</c>: the activity span continues that trace.</summary>
    /// <remarks>
    /// When an <see cref="Protocol.ActivityTask"/>'s labels carry a valid <c>traceparent</c> (and
    /// optionally <see cref="TraceStateLabel"/>), the <see cref="Spans.Activity"/> span is started as a
    /// child of that remote parent, so the activity joins the trace of whatever scheduled it. An
    /// invalid value is ignored (the span is a root span).
    /// </remarks>
    public const string TraceParentLabel = "traceparent";

    /// <summary>The task label holding a W3C trace context's <c>tracestate</c>, used with <see cref="TraceParentLabel"/>.</summary>
    public const string TraceStateLabel = "tracestate";

    /// <summary>Span names.</summary>
    public static class Spans
    {
        /// <summary>One activity execution, from start to recorded outcome.</summary>
        public const string Activity = "aion.worker.activity";

        /// <summary>One registered session, from RegisterAck to its end.</summary>
        public const string Session = "aion.worker.session";
    }

    /// <summary>Instrument names.</summary>
    public static class Instruments
    {
        /// <summary>Counter of tasks received from the engine; tag <see cref="Tags.ActivityType"/>.</summary>
        public const string TasksReceived = "aion.worker.tasks.received";

        /// <summary>Counter of activities that returned a value; tag <see cref="Tags.ActivityType"/>.</summary>
        public const string TasksCompleted = "aion.worker.tasks.completed";

        /// <summary>Counter of activities that failed; tags <see cref="Tags.ActivityType"/>, <see cref="Tags.Outcome"/> (<c>retryable</c> or <c>terminal</c>).</summary>
        public const string TasksFailed = "aion.worker.tasks.failed";

        /// <summary>Histogram of activity execution time in seconds; tags <see cref="Tags.ActivityType"/>, <see cref="Tags.Outcome"/>.</summary>
        public const string ActivityDuration = "aion.worker.activity.duration";

        /// <summary>Gauge of running activities.</summary>
        public const string ActivitiesInFlight = "aion.worker.activities.in_flight";

        /// <summary>Gauge of tasks received and not yet started.</summary>
        public const string TasksQueued = "aion.worker.tasks.queued";

        /// <summary>Gauge of free concurrency slots.</summary>
        public const string SlotsAvailable = "aion.worker.slots.available";

        /// <summary>Gauge of results awaiting the engine's ack.</summary>
        public const string ResultsUnacked = "aion.worker.results.unacked";

        /// <summary>Counter of heartbeats sent; tag <see cref="Tags.HeartbeatKind"/> (<c>liveness</c> or <c>progress</c>).</summary>
        public const string HeartbeatsSent = "aion.worker.heartbeats.sent";

        /// <summary>Counter of registered sessions.</summary>
        public const string SessionsOpened = "aion.worker.sessions.opened";

        /// <summary>Counter of session ends; tag <see cref="Tags.EndKind"/> (<c>shutdown</c>, <c>drain</c>, <c>clean_close</c>, <c>error</c>).</summary>
        public const string SessionsEnded = "aion.worker.sessions.ended";

        /// <summary>Histogram of reconnect backoff sleeps in seconds; tag <see cref="Tags.Phase"/> (<c>establish</c>, <c>drop</c>, <c>drain</c>).</summary>
        public const string ReconnectBackoff = "aion.worker.reconnect.backoff";
    }

    /// <summary>Tag names.</summary>
    public static class Tags
    {
        /// <summary>The worker's identity.</summary>
        public const string Identity = "aion.worker.identity";

        /// <summary>The activity type.</summary>
        public const string ActivityType = "aion.activity.type";

        /// <summary>The workflow id.</summary>
        public const string WorkflowId = "aion.workflow.id";

        /// <summary>The activity id (sequence position).</summary>
        public const string ActivityId = "aion.activity.id";

        /// <summary>The attempt.</summary>
        public const string Attempt = "aion.activity.attempt";

        /// <summary>The run id.</summary>
        public const string RunId = "aion.workflow.run_id";

        /// <summary>The outcome: <c>success</c>, <c>retryable</c> or <c>terminal</c>.</summary>
        public const string Outcome = "aion.activity.outcome";

        /// <summary>The heartbeat kind: <c>liveness</c> or <c>progress</c>.</summary>
        public const string HeartbeatKind = "aion.heartbeat.kind";

        /// <summary>How a session ended.</summary>
        public const string EndKind = "aion.session.end";

        /// <summary>The engine's worker id for the session.</summary>
        public const string WorkerId = "aion.worker.id";

        /// <summary>Why the worker slept: <c>establish</c>, <c>drop</c> or <c>drain</c>.</summary>
        public const string Phase = "aion.reconnect.phase";
    }
}
