using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Internal.Reconnect;

/// <summary>
/// How a run ends, whatever ended it: every running activity is cancelled as on shutdown and
/// awaited (nothing is killed), and every result left in the tracker is logged with its ids; or,
/// when the host abandons the run, what is left is logged at once.
/// </summary>
internal sealed class RunSettlement(WorkerRuntime runtime)
{
    /// <summary>Cancels every running activity, waits until all finished, and logs the results left.</summary>
    public async Task SettleAsync()
    {
        runtime.InFlight.CancelAll(ActivityCancellationReason.Shutdown);
        await runtime.InFlight.WhenIdleAsync(CancellationToken.None).ConfigureAwait(false);
        LogLeftoverResults();
    }

    /// <summary>Logs every running activity and tracked result with its ids, without waiting for anything.</summary>
    public void LogAbandoned()
    {
        var running = runtime.InFlight.RunningExecutions();
        foreach (var execution in running)
        {
            runtime.Log.ActivityAbandoned(execution.Task.ActivityType, execution.Key.WorkflowId, execution.Key.Position, execution.Key.Attempt);
        }

        var unacked = LogLeftoverResults();
        runtime.Log.RunAbandoned(runtime.Settings.Identity, running.Count, unacked);
    }

    /// <summary>Logs every tracked result with its ids: never sent (unreported) or sent and not acked; returns how many.</summary>
    private int LogLeftoverResults()
    {
        var entries = runtime.Tracker.Snapshot();
        foreach (var entry in entries)
        {
            if (entry.SentOnSession == 0)
            {
                runtime.Log.OutcomeUnreported(entry.Key.WorkflowId, entry.Key.Position, entry.Attempt);
            }
            else
            {
                runtime.Log.ResultUnacked(entry.Key.WorkflowId, entry.Key.Position, entry.Attempt);
            }
        }

        return entries.Length;
    }
}
