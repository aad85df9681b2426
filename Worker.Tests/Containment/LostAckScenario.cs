using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Containment;

/// <summary>
/// CONFORMANCE #44, the reproduction of issue #14 item 1, for any transport on fake time: an engine
/// that loses the first 50 acks (every ack of the first session) and re-sends every lost task at the head of the next session, so
/// that more task frames sit ahead of the replay's acks than MaxQueuedTasks plus a count-bounded
/// read-past allows. MaxConcurrency 4, MaxUnackedResults 50, reconnect 20 ms / 200 ms / 3.
/// </summary>
public static class LostAckScenario
{
    public const int Tasks = 2000;
    public const int LostAcks = 50;
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(20);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMilliseconds(200);

    public static void Configure(AionWorkerOptions options)
    {
        options.MaxConcurrency = 4;
        options.MaxUnackedResults = 50;
        options.RegisterTimeout = TimeSpan.FromSeconds(5);
        options.SendTimeout = TimeSpan.FromSeconds(5);
        options.Reconnect = new ReconnectOptions { InitialBackoff = InitialBackoff, MaxBackoff = MaxBackoff, MaxAttempts = 3 };
    }

    public static AionWorkerBuilder Echo(AionWorkerBuilder builder) => builder.AddActivity<int, int>("echo", (input, _) => input);

    /// <summary>Loses the acks of every result received on the first session (the tracker's bound keeps those to the first MaxUnackedResults results).</summary>
    /// <remarks>By session, not by count: over gRPC a result tracked but not yet delivered when the session ends is replayed on the next one, and its ack must not be lost there.</remarks>
    public static void LoseFirstSessionAcks(InMemoryEngine engine)
    {
        engine.RedispatchLostTasks = true;
        engine.AckFilter = _ => engine.AcceptedSessions.Count > 1;
    }

    /// <summary>Runs the reproduction on a registered worker: every one of the 2,000 tasks completes, after exactly one stalled session that was not healthy.</summary>
    public static async Task AllTasksCompleteAsync(AionWorker worker, InMemoryEngine engine, TestTime time)
    {
        var sessions = new SessionRecorder(worker);
        LoseFirstSessionAcks(engine);
        var tasks = Enumerable.Range(0, Tasks).Select(n => engine.Dispatch("echo", n)).ToArray();

        // Session 1: 50 results tracked, their acks lost; the worker reads past its full queue to every task frame.
        var inbound = worker.Runtime.Pipeline!.Inbound;
        await Poll.UntilAsync(() => worker.UnackedResults == LostAcks && inbound.Count == Tasks - LostAcks, "session 1 to hold 50 unacked results and to have read every task frame");

        // No ack for MaxBackoff: the session ends stalled, never healthy (drops = 1); the redial waits InitialBackoff.
        time.Advance(MaxBackoff, TimeSpan.FromMilliseconds(5));
        var first = await sessions.WaitForEndAsync(1);
        Assert.That(first.End.Error?.Kind, Is.EqualTo(AionErrorKind.UnackedResultsStalled), $"{first.End.Error}");
        Assert.That(first.End.Healthy, Is.False, "a stalled session is never healthy, although it sent live results");
        Assert.That(first.Drops, Is.EqualTo(1));
        await time.WaitForTimerAsync(InitialBackoff);
        time.Advance(InitialBackoff);

        // Session 2: the engine re-sends the 1,950 lost tasks ahead of the acks of the replayed 50;
        // reading past them by bytes reaches those acks, and everything completes with no more time passing.
        var results = await Task.WhenAll(tasks.Select(t => t.Result)).Within(TimeSpan.FromSeconds(60));
        Assert.That(results.Select(r => r.Result.Bytes.ToStringUtf8()), Is.EqualTo(Enumerable.Range(0, Tasks).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        try
        {
            await Poll.UntilAsync(() => worker.UnackedResults == 0, "every result to be acked");
        }
        catch (TimeoutException)
        {
            var left = worker.Runtime.Tracker.Snapshot();
            Assert.Fail($"{left.Length} results left unacked, e.g. {string.Join(", ", left.Take(5).Select(e => $"{e.ResultKey.WorkflowId}/{e.ResultKey.Position}#{e.Attempt} sent on {e.SentOnSession}"))}; engine results {engine.Results.Count}, acked {engine.Results.Count(r => r.Acked)}; sessions {engine.AcceptedSessions.Count}");
        }
        Assert.That(sessions.Ended, Has.Count.EqualTo(1), "one stalled session, then progress");
        Assert.That(engine.AcceptedSessions, Has.Count.EqualTo(2));
    }
}
