using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Internal.Reconnect;

/// <summary>
/// How a run ends, whatever ended it: every running activity is cancelled as on shutdown and
/// awaited (nothing is killed), and every result left in the tracker is logged with its ids; or,
/// when the host abandons the run, what is left is logged at once.
/// </summary>
internal sealed class RunSettlement(WorkerRuntime runtime)
{
    /// <summary>Cancels every running activity, waits until all finished, logs the results left and returns them.</summary>
    public async Task<RunSummary> SettleAsync()
    {
        runtime.InFlight.CancelAll(ActivityCancellationReason.Shutdown);
        await runtime.InFlight.WhenIdleAsync(CancellationToken.None).ConfigureAwait(false);
        return Summarize(LogLeftoverResults());
    }

    /// <summary>Every result in the tracker now, sent or not, with its ids.</summary>
    public RunSummary Summary() => Summarize(runtime.Tracker.Snapshot());

    private static RunSummary Summarize(TrackedResult[] entries)
    {
        var results = new UnackedResult[entries.Length];
        for (var i = 0; i < entries.Length; i++)
        {
            var entry = entries[i];
            results[i] = new UnackedResult(entry.ResultKey.WorkflowId, entry.ResultKey.Position, entry.Attempt, entry.SentOnSession != 0);
        }

        return new RunSummary(results);
    }

    /// <summary>Logs every running activity and tracked result with its ids, without waiting for anything; returns the results left.</summary>
    public RunSummary LogAbandoned()
    {
        var running = runtime.InFlight.RunningExecutions();
        foreach (var execution in running)
        {
            runtime.Log.ActivityAbandoned(execution.ActivityType, execution.ResultKey.WorkflowId, execution.ResultKey.Position, execution.Key.Attempt);
        }

        var unacked = LogLeftoverResults();
        runtime.Log.RunAbandoned(runtime.Settings.Identity, running.Count, unacked.Length);
        return Summarize(unacked);
    }

    /// <summary>Logs every tracked result with its ids: never sent (unreported) or sent and not acked, then one Warning with the count and the first 100 ids; returns them.</summary>
    private TrackedResult[] LogLeftoverResults()
    {
        var entries = runtime.Tracker.Snapshot();
        foreach (var entry in entries)
        {
            if (entry.SentOnSession == 0)
            {
                runtime.Log.OutcomeUnreported(entry.ResultKey.WorkflowId, entry.ResultKey.Position, entry.Attempt);
            }
            else
            {
                runtime.Log.ResultUnacked(entry.ResultKey.WorkflowId, entry.ResultKey.Position, entry.Attempt);
            }
        }

        if (entries.Length > 0)
        {
            const int Listed = 100;
            var listed = Math.Min(Listed, entries.Length);
            var ids = string.Join(", ", entries.Take(listed).Select(static e => $"{e.ResultKey.WorkflowId}/{e.ResultKey.Position}#{e.Attempt}"));
            var unsent = entries.Count(static e => e.SentOnSession == 0);
            runtime.Log.RunLeftResults(runtime.Settings.Identity, entries.Length, unsent, listed, ids);
        }

        return entries;
    }
}
