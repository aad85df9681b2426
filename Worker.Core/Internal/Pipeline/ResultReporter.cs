using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// Where a running activity's outcome and progress go: an outcome is recorded in the unacked
/// tracker first (a lower attempt's never replaces a higher one's), then queued on the pipeline if
/// a session is attached; progress is queued, or kept as the activity's latest until the next
/// session. Never waits on a detached pipeline.
/// </summary>
internal sealed class ResultReporter(WorkerRuntime runtime)
{
    /// <summary>Records an outcome in the tracker and queues it for the attached session, if any.</summary>
    public ValueTask RecordOutcomeAsync(ActivityExecution execution, WorkerToServer frame)
    {
        execution.MarkDone();
        var key = execution.Key;
        if (runtime.InFlight.IsSuperseded(key, out var keptAttempt) || !runtime.Tracker.Record(execution, frame, out keptAttempt))
        {
            runtime.Log.OutcomeSuperseded(key.WorkflowId, key.Position, key.Attempt, keptAttempt);
            return default;
        }

        // The execution is its own tracked entry.
        return runtime.Pipeline is { } pipeline ? pipeline.EnqueueResultAsync(execution) : default;
    }

    /// <summary>Queues a progress heartbeat (already kept as the execution's latest) for the attached session, if any (or hands it to the runtime's progress sink).</summary>
    public ValueTask SendProgressAsync(ActivityExecution execution, WorkerToServer frame, CancellationToken cancellationToken) =>
        runtime.Pipeline is { } pipeline ? pipeline.EnqueueProgressAsync(execution, frame, cancellationToken)
        : runtime.ProgressSink is { } sink ? sink(execution, frame, cancellationToken)
        : default;

    /// <summary>Frees the execution's slot once its outcome is recorded (the caller starts the next task or wakes the dispatcher).</summary>
    public void Release(ActivityExecution execution)
    {
        (execution as StagedExecution)?.ReleaseReservation();
        runtime.InFlight.Release(execution);
    }
}
