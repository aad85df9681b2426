using Aion.Worker.Internal.Telemetry;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// Where and how a started execution runs: as its own thread-pool work item, or inline on the thread
/// that started it; then, in the same chain, whatever its slot is handed on to
/// (<see cref="TaskStarter.TryHandOff"/>). A finishing activity takes the next queued task into its
/// own slot, so a busy worker starts a task with no dispatcher wake-up and no new work item.
/// </summary>
internal static class ExecutionChain
{
    /// <summary>Runs a started execution: on this thread when it <see cref="ActivityExecution.RunsInline"/>, else as a work item.</summary>
    public static void Launch(ActivityExecution execution)
    {
        if (execution.RunsInline)
        {
            Run(execution, startedInline: true);
        }
        else
        {
            QueueWorkItem(execution);
        }
    }

    /// <summary>Runs <paramref name="first"/> and the chain it hands its slot on to.</summary>
    public static void Run(ActivityExecution first, bool startedInline) => _ = RunChainAsync(first, startedInline);

    /// <summary>Runs the execution as a thread-pool work item of its own (counted: the tests pin which starts cost one).</summary>
    private static void QueueWorkItem(ActivityExecution execution)
    {
        Interlocked.Increment(ref execution.Runtime.WorkItemStarts);
        ThreadPool.UnsafeQueueUserWorkItem(execution, preferLocal: false);
    }

    /// <summary>
    /// Runs <paramref name="first"/>, then whatever the slot is handed on to. A chain started inline
    /// (on a pump's or the dispatcher's thread) runs only inline executions on that thread and queues
    /// any other.
    /// </summary>
    private static async Task RunChainAsync(ActivityExecution first, bool startedInline)
    {
        var thread = Environment.CurrentManagedThreadId;
        var execution = first;
        while (true)
        {
            var runtime = execution.Runtime;
            try
            {
                await RunOnceAsync(execution).ConfigureAwait(false);
            }
            catch
            {
                // Not expected (the outcome path catches the handler's failures): free the slot, let the dispatcher go on.
                runtime.Reporter.Release(execution);
                runtime.Pipeline?.Wake();
                throw;
            }

            ActivityExecution? next;
            if (runtime.Pipeline is { } pipeline)
            {
                next = pipeline.Starter.TryHandOff(execution);
            }
            else
            {
                runtime.Reporter.Release(execution);
                next = null;
            }

            if (next is null)
            {
                return;
            }

            if (startedInline && !next.RunsInline && Environment.CurrentManagedThreadId == thread)
            {
                // Still on the thread that started the chain inline: a handler that may block gets its own work item (it keeps the slot it was handed).
                QueueWorkItem(next);
                return;
            }

            execution = next;
        }
    }

    /// <summary>Runs the activity and records its outcome; the slot stays taken.</summary>
    private static async Task RunOnceAsync(ActivityExecution execution)
    {
        // The clock is read only when someone listens to the duration histogram.
        var runtime = execution.Runtime;
        var telemetry = runtime.Telemetry;
        var timed = telemetry.ActivityDuration.Enabled;
        var started = timed ? runtime.Time.GetTimestamp() : 0;
        var span = WorkerTelemetry.StartActivitySpan(execution.Task, runtime.Settings.Identity);
        try
        {
            var frame = await execution.ExecuteAsync(services: null).ConfigureAwait(false);
            telemetry.RecordOutcome(frame.Result, execution.ActivityType, runtime.IdentityTag, timed ? runtime.Time.GetElapsedTime(started) : null, span);
            await runtime.Reporter.RecordOutcomeAsync(execution, frame).ConfigureAwait(false);
            await execution.DisposeResourcesAsync().ConfigureAwait(false);
        }
        finally
        {
            // The span ends before the slot is freed or handed on: whoever waits for the activity sees it complete.
            span?.Dispose();
        }
    }
}
