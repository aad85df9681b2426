using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline;

public sealed class AttemptTests
{
    private const int OutcomeSupersededLogId = 23;

    [TestCase(AckMode.Withhold)]
    [TestCase(AckMode.Auto)]
    public async Task A_lower_attempts_outcome_arriving_after_a_higher_attempts_is_logged_and_dropped(AckMode ackMode)
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), engineOptions: new InMemoryEngineOptions { AckMode = ackMode });
        var session = await harness.StartAndRegisterAsync();
        session.SendTask(TestTasks.Blocking("wf", 1, 1, "attempt-1"));
        session.SendTask(TestTasks.Blocking("wf", 1, 2, "attempt-2"));
        await gate.WaitStartedAsync("attempt-1");
        await gate.WaitStartedAsync("attempt-2");

        gate.Release("attempt-2");
        await harness.Engine.WaitUntilAsync(() => session.Results.Count == 1).Within();
        if (ackMode == AckMode.Auto)
        {
            await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "attempt 2's result was acked");
        }

        gate.Release("attempt-1");
        await Poll.UntilAsync(() => harness.Logs.GetSnapshot().Any(e => e.Id.Id == OutcomeSupersededLogId), "the late lower outcome was logged");
        await Poll.UntilAsync(() => harness.Worker.RunningActivities == 0, "attempt 1 finished");

        var logged = harness.Logs.GetSnapshot().Single(e => e.Id.Id == OutcomeSupersededLogId);
        Assert.That(logged.Message, Does.Contain("wf/1").And.Contain("attempt 1"));
        Assert.That(session.Results.Select(r => r.Result.Result.Bytes.ToStringUtf8()), Is.EqualTo(new[] { "\"attempt-2\"" }));
        Assert.That(harness.Worker.Runtime.Tracker.Snapshot().Select(e => e.Attempt), Is.EqualTo(ackMode == AckMode.Auto ? Array.Empty<uint>() : new[] { 2u }));

        await harness.StopAsync();
    }

    [Test]
    public async Task Two_attempts_running_at_once_get_separate_heartbeats_and_separate_cancellation()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), engineOptions: new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.FromMilliseconds(100) });
        var session = await harness.StartAndRegisterAsync();
        session.SendTask(TestTasks.Blocking("wf", 1, 1, "attempt-1"));
        session.SendTask(TestTasks.Blocking("wf", 1, 2, "attempt-2"));
        var first = await gate.WaitStartedAsync("attempt-1");
        var second = await gate.WaitStartedAsync("attempt-2");

        // One liveness round carries one beat per running attempt.
        var interval = TimeSpan.FromMilliseconds(25);
        await harness.Time.WaitForAsync(() => harness.Time.ActiveTimers().Any(t => t.Period == interval));
        harness.Time.Advance(interval);
        await harness.Engine.WaitUntilAsync(() => session.Heartbeats.Count(h => h.WorkflowId == "wf" && h.Position == 1) >= 2).Within();
        Assert.That(session.Heartbeats.Count(h => h.WorkflowId == "wf" && h.Position == 1), Is.EqualTo(2));

        // Progress goes out per attempt too.
        await first.HeartbeatAsync("from attempt 1");
        await second.HeartbeatAsync("from attempt 2");
        await harness.Engine.WaitUntilAsync(() => session.Heartbeats.Count(h => h.HasProgress) == 2).Within();
        Assert.That(
            session.Heartbeats.Where(h => h.HasProgress).Select(h => h.Heartbeat.Progress.Bytes.ToStringUtf8()),
            Is.EqualTo(new[] { "\"from attempt 1\"", "\"from attempt 2\"" }));

        Assert.That(harness.Engine.CancelActivity("wf", 1, attempt: 1), Is.True);
        await Poll.UntilAsync(() => first.CancellationToken.IsCancellationRequested, "attempt 1 was cancelled");
        Assert.That(first.CancellationReason, Is.EqualTo(ActivityCancellationReason.CancelRequested));
        Assert.That(second.CancellationToken.IsCancellationRequested, Is.False, "attempt 2 is not cancelled");

        gate.ReleaseAll();
        await harness.StopAsync();
    }
}
