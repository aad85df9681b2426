using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline;

public sealed class ResultTrackingTests
{
    [Test]
    public async Task A_result_is_tracked_before_it_reaches_the_engine()
    {
        var gate = new BlockingActivity();

        // Acks withheld: an ack racing the engine's callback must not empty the tracker first.
        await using var harness = WorkerHarness.Create(b => gate.Register(b), engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var trackedOnArrival = new List<int>();
        harness.Engine.OnResultReceived = _ =>
        {
            lock (trackedOnArrival)
            {
                trackedOnArrival.Add(harness.Worker.UnackedResults);
            }
        };
        await harness.StartAndRegisterAsync();

        var task = harness.Engine.Dispatch(BlockingActivity.Type, "r");
        gate.Release("r");
        await task.Result.Within();
        await Poll.UntilAsync(
            () =>
            {
                lock (trackedOnArrival)
                {
                    return trackedOnArrival.Count > 0;
                }
            },
            "the engine's result callback ran");

        lock (trackedOnArrival)
        {
            Assert.That(trackedOnArrival, Is.EqualTo(new[] { 1 }));
        }

        harness.Engine.CurrentSession!.AckPending();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the ack cleared it");
        await harness.StopAsync();
    }

    [Test]
    public async Task Ack_removes_exactly_its_entry_and_an_unknown_ack_is_ignored()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();

        // The same position in two workflows: two entries.
        var a = harness.Engine.Dispatch(BlockingActivity.Type, "a", new DispatchOptions { WorkflowId = "wf-a", Position = 5 });
        var b = harness.Engine.Dispatch(BlockingActivity.Type, "b", new DispatchOptions { WorkflowId = "wf-b", Position = 5 });
        gate.Release("a");
        gate.Release("b");
        await Task.WhenAll(a.Result, b.Result).Within();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 2, "both results are tracked");

        session.Ack("wf-a", 5);
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 1, "the ack removed one entry");
        Assert.That(harness.Worker.Runtime.Tracker.Snapshot().Single().ResultKey.WorkflowId, Is.EqualTo("wf-b"));

        session.Ack("wf-unknown", 5);
        session.Ack("wf-b", 6);
        session.SendBytes(TestTasks.UnknownFrame);
        await Poll.UntilAsync(() => harness.Logs.GetSnapshot().Any(e => e.Id.Id == TestTasks.UnknownFrameSkippedLogId), "the reader passed the unknown acks");
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(1));
        Assert.That(session.IsOpen, Is.True);
        Assert.That(sessions.Ended, Is.Empty);

        session.Ack("wf-b", 5);
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the last ack removed the last entry");
        await harness.StopAsync();
    }

    [Test]
    public async Task Higher_attempt_outcome_replaces_the_lower_one_for_the_same_activity()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var session = await harness.StartAndRegisterAsync();

        session.SendTask(TestTasks.Blocking("wf", 1, 1, "attempt-1"));
        session.SendTask(TestTasks.Blocking("wf", 1, 2, "attempt-2"));
        await gate.WaitStartedAsync("attempt-1");
        await gate.WaitStartedAsync("attempt-2");

        gate.Release("attempt-1");
        await harness.Engine.WaitUntilAsync(() => session.Results.Count == 1).Within();
        gate.Release("attempt-2");
        await harness.Engine.WaitUntilAsync(() => session.Results.Count == 2).Within();

        var entry = harness.Worker.Runtime.Tracker.Snapshot().Single();
        Assert.That(entry.Attempt, Is.EqualTo(2));
        Assert.That(entry.Frame.Result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"attempt-2\""));

        await harness.StopAsync();
    }

    [Test]
    public async Task An_ack_does_not_remove_an_outcome_that_replaced_the_acked_one_before_it_was_sent()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();

        session.SendTask(TestTasks.Blocking("wf", 1, 1, "attempt-1"));
        session.SendTask(TestTasks.Blocking("wf", 1, 2, "attempt-2"));
        await gate.WaitStartedAsync("attempt-2");
        gate.Release("attempt-1");
        await harness.Engine.WaitUntilAsync(() => session.Results.Count == 1).Within();

        // Attempt 2's outcome replaces attempt 1's, but its send never completes.
        session.StallWorkerSends = true;
        gate.Release("attempt-2");
        await Poll.UntilAsync(() => harness.Worker.Runtime.Tracker.Snapshot().Single().Attempt == 2, "attempt 2's outcome is tracked");

        // The engine acks the attempt-1 result it got: the unsent attempt-2 outcome must stay.
        session.AckPending();
        session.SendBytes(TestTasks.UnknownFrame);
        await Poll.UntilAsync(() => harness.Logs.GetSnapshot().Any(e => e.Id.Id == TestTasks.UnknownFrameSkippedLogId), "the reader passed the ack");
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(1));

        // The stalled send times out, and the next session's replay delivers attempt 2's outcome.
        harness.Engine.AckMode = AckMode.Auto;
        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(20));
        harness.Time.Advance(TimeSpan.FromMilliseconds(20));
        var end = await sessions.WaitForEndAsync();
        Assert.That(end.Error?.Kind, Is.EqualTo(AionErrorKind.SendTimeout));

        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(5));
        harness.Time.Advance(TimeSpan.FromMilliseconds(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Engine.WaitUntilAsync(() => second.Results.Count == 1).Within();
        Assert.That(second.Results.Single().Result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"attempt-2\""));
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the replayed result was acked");

        await harness.StopAsync();
    }
}
