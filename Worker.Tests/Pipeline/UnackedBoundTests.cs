using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline;

public sealed class UnackedBoundTests
{
    [Test]
    public async Task No_task_starts_while_tracked_and_running_reach_the_bound_until_an_ack_frees_room()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), o =>
        {
            o.MaxConcurrency = 2;
            o.MaxUnackedResults = 2;
        }, new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var session = await harness.StartAndRegisterAsync();

        // One tracked result + one running activity = the bound of 2, with a free concurrency slot.
        var done = harness.Engine.Dispatch(BlockingActivity.Type, "done", new DispatchOptions { WorkflowId = "wf-done", Position = 1 });
        gate.Release("done");
        await done.Result.Within();
        var running = harness.Engine.Dispatch(BlockingActivity.Type, "running", new DispatchOptions { WorkflowId = "wf-running", Position = 1 });
        await gate.WaitStartedAsync("running");
        var waiting = harness.Engine.Dispatch(BlockingActivity.Type, "waiting", new DispatchOptions { WorkflowId = "wf-waiting", Position = 1 });

        await Poll.UntilAsync(() => session.FramesUnreadByWorker == 0, "the waiting task was read");
        await Poll.HoldsAsync(() => !gate.HasStarted("waiting"), "no task starts at the unacked bound");
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(1));

        // Finishing the running activity does not free room: its result takes its place.
        gate.Release("running");
        await running.Result.Within();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 2, "both results are tracked");
        await Poll.HoldsAsync(() => !gate.HasStarted("waiting"), "still no room without an ack");

        session.Ack("wf-done", 1);
        await gate.WaitStartedAsync("waiting");
        gate.Release("waiting");
        await waiting.Result.Within();

        // Nothing was dropped to make room: every result reached the engine and the unacked ones stay tracked.
        Assert.That(session.Results.Select(r => r.WorkflowId), Is.EquivalentTo(new[] { "wf-done", "wf-running", "wf-waiting" }));
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 2, "the unacked results stay tracked");

        await harness.StopAsync();
    }

    [Test]
    public async Task A_tracker_full_for_MaxBackoff_without_an_ack_ends_the_session_and_the_replay_gets_the_entries_acked()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), o =>
        {
            o.MaxConcurrency = 2;
            o.MaxUnackedResults = 2;
        }, new InMemoryEngineOptions { AckMode = AckMode.Drop });
        var sessions = new SessionRecorder(harness.Worker);
        var first = await harness.StartAndRegisterAsync();

        var tasks = new[] { "a", "b" }.Select(input => harness.Engine.Dispatch(BlockingActivity.Type, input)).ToArray();
        gate.Release("a");
        gate.Release("b");
        await Task.WhenAll(tasks.Select(t => t.Result)).Within();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 2, "the tracker is full");

        // The acks were lost: after MaxBackoff (20 ms) with the tracker full the session ends as an error drop.
        harness.Engine.AckMode = AckMode.Auto;
        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(20));
        harness.Time.Advance(TimeSpan.FromMilliseconds(19));
        await Poll.HoldsAsync(() => sessions.Ended.Count == 0, "the session lives until MaxBackoff", TimeSpan.FromMilliseconds(50));
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));

        var end = await sessions.WaitForEndAsync();
        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.Error?.Kind, Is.EqualTo(AionErrorKind.UnackedResultsStalled));
        Assert.That(end.Error!.IsRetryable, Is.True);
        Assert.That(sessions.Ended[0].Drops, Is.EqualTo(1), "an error drop spends budget");
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(2), "nothing is dropped");
        await first.Completion.Within();

        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(5));
        harness.Time.Advance(TimeSpan.FromMilliseconds(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Engine.WaitUntilAsync(() => second.Results.Count == 2).Within();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the replayed results were acked");
        Assert.That(second.Results.All(r => r.Acked), Is.True);

        await harness.StopAsync();
    }
}
