using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Internal.Telemetry;

/// <summary>The worker's ActivitySource, Meter and instruments, in one place. Costs next to nothing when nobody listens.</summary>
internal static class WorkerTelemetry
{
    private static readonly string Version = typeof(WorkerTelemetry).Assembly.GetName().Version?.ToString() ?? "0.0.0";
    private static readonly Lock Gate = new();
    private static readonly List<WorkerRuntime> Live = [];

    public static readonly ActivitySource Source = new(AionWorkerDiagnostics.SourceName, Version);

    public static readonly Meter Meter = new(AionWorkerDiagnostics.MeterName, Version);

    public static readonly Counter<long> TasksReceived = Meter.CreateCounter<long>(
        AionWorkerDiagnostics.Instruments.TasksReceived, "{task}", "Tasks received from the engine.");

    public static readonly Counter<long> TasksCompleted = Meter.CreateCounter<long>(
        AionWorkerDiagnostics.Instruments.TasksCompleted, "{task}", "Activities that returned a value.");

    public static readonly Counter<long> TasksFailed = Meter.CreateCounter<long>(
        AionWorkerDiagnostics.Instruments.TasksFailed, "{task}", "Activities that failed, by outcome (retryable or terminal).");

    public static readonly Histogram<double> ActivityDuration = Meter.CreateHistogram<double>(
        AionWorkerDiagnostics.Instruments.ActivityDuration, "s", "Activity execution time.");

    public static readonly Counter<long> HeartbeatsSent = Meter.CreateCounter<long>(
        AionWorkerDiagnostics.Instruments.HeartbeatsSent, "{heartbeat}", "Heartbeats sent, by kind (liveness or progress).");

    public static readonly Counter<long> SessionsOpened = Meter.CreateCounter<long>(
        AionWorkerDiagnostics.Instruments.SessionsOpened, "{session}", "Sessions registered with the engine.");

    public static readonly Counter<long> SessionsEnded = Meter.CreateCounter<long>(
        AionWorkerDiagnostics.Instruments.SessionsEnded, "{session}", "Session ends, by class.");

    public static readonly Histogram<double> ReconnectBackoff = Meter.CreateHistogram<double>(
        AionWorkerDiagnostics.Instruments.ReconnectBackoff, "s", "Backoff slept before reconnecting.");

    static WorkerTelemetry()
    {
        Meter.CreateObservableGauge(AionWorkerDiagnostics.Instruments.ActivitiesInFlight, () => Observe(static runtime => runtime.Running), "{activity}", "Activities running now.");
        Meter.CreateObservableGauge(AionWorkerDiagnostics.Instruments.TasksQueued, () => Observe(static runtime => Math.Max(0, runtime.InFlightCount - runtime.Running)), "{task}", "Tasks received and not yet started.");
        Meter.CreateObservableGauge(AionWorkerDiagnostics.Instruments.SlotsAvailable, () => Observe(static runtime => Math.Max(0, runtime.Settings.MaxConcurrency - runtime.Running)), "{slot}", "Free concurrency slots.");
        Meter.CreateObservableGauge(AionWorkerDiagnostics.Instruments.ResultsUnacked, () => Observe(static runtime => runtime.Tracker.Count), "{result}", "Results awaiting the engine's ack.");
    }

    /// <summary>Includes a running worker in the gauges.</summary>
    public static void Register(WorkerRuntime runtime)
    {
        lock (Gate)
        {
            if (!Live.Contains(runtime))
            {
                Live.Add(runtime);
            }
        }
    }

    public static void Unregister(WorkerRuntime runtime)
    {
        lock (Gate)
        {
            Live.Remove(runtime);
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

    private static IEnumerable<Measurement<int>> Observe(Func<WorkerRuntime, int> read)
    {
        WorkerRuntime[] live;
        lock (Gate)
        {
            live = [.. Live];
        }

        foreach (var runtime in live)
        {
            yield return new Measurement<int>(read(runtime), runtime.IdentityTag);
        }
    }
}
