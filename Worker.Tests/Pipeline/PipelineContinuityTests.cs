using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Pipeline;

/// <summary>
/// CONFORMANCE #41: the run's channels outlive sessions, and what a dead session left is resolved
/// when it is detached — its queued tasks purged, its queued frames dropped — while results finished
/// during the outage are sent exactly once and the latest progress reaches the next session; acks
/// and drains are applied as they are read, never behind tasks.
/// </summary>
public sealed class PipelineContinuityTests
{
    private const int DrainReceivedLogId = 12;

    /// <summary>What the pipeline held when the first session's end was announced (after its detach, before the next attach).</summary>
    private sealed record AtFirstEnd(int QueuedTasks, int QueuedFrames, int InFlight);

    private static TaskCompletionSource<AtFirstEnd> CaptureAtFirstEnd(AionWorker worker)
    {
        var captured = new TaskCompletionSource<AtFirstEnd>(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.SessionEnded += (_, _) =>
        {
            var pipeline = worker.Runtime.Pipeline!;
            captured.TrySetResult(new AtFirstEnd(pipeline.Inbound.Count, pipeline.Outbound.Count, worker.Runtime.InFlightCount));
        };
        return captured;
    }

    [Test]
    public async Task A_reconnect_keeps_the_runs_inbound_and_outbound_channel_instances()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var sleeps = new Sleeps(harness.Time);
        var first = await harness.StartAndRegisterAsync();
        await harness.Worker.WaitForServingAsync(1);
        var pipeline = harness.Worker.Runtime.Pipeline!;
        var inbound = pipeline.Inbound.Reader;
        var outbound = pipeline.Outbound;

        first.Fail(Unavailable("s1"));
        await sleeps.PassAsync(Ms(5));
        await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Worker.WaitForServingAsync(2);

        Assert.That(harness.Worker.Runtime.Pipeline, Is.SameAs(pipeline));
        Assert.That(pipeline.Inbound.Reader, Is.SameAs(inbound));
        Assert.That(pipeline.Outbound, Is.SameAs(outbound));
        Assert.That(pipeline.Inbound.ReadPastBytes, Is.EqualTo(AionWorkerOptions.ReadPastByteLimit), "read-past is bounded by the bytes of queued task frames");

        var result = await harness.Engine.Dispatch("echo", "through the same channels").Result.Within();
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"through the same channels\""));
        await harness.StopAsync();
    }

    [Test]
    public async Task At_detach_the_dead_sessions_queued_tasks_are_purged_at_once_and_never_started()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), WorkerOptions(maxConcurrency: 1));
        harness.Engine.RedispatchLostTasks = false;
        var atFirstEnd = CaptureAtFirstEnd(harness.Worker);
        var sleeps = new Sleeps(harness.Time);
        var first = await harness.StartAndRegisterAsync();

        var running = harness.Engine.Dispatch(BlockingActivity.Type, "running");
        harness.Engine.Dispatch(BlockingActivity.Type, "queued-1");
        harness.Engine.Dispatch(BlockingActivity.Type, "queued-2");
        await gate.WaitStartedAsync("running");
        await Poll.UntilAsync(() => harness.Worker.Runtime.Pipeline!.Inbound.Count == 2, "both tasks are queued behind the busy slot");

        first.Fail(Unavailable("s1"));
        var purged = await atFirstEnd.Task.Within();
        Assert.That(purged.QueuedTasks, Is.Zero, "the dead session's queued tasks are purged at detach");
        Assert.That(purged.InFlight, Is.EqualTo(1), "only the running activity is left in flight");

        // The running activity keeps its slot across the reconnect; when it frees, nothing of session 1 starts.
        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Worker.WaitForServingAsync(2);
        gate.Release("running");
        await running.Result.Within();
        var after = harness.Engine.Dispatch(BlockingActivity.Type, "after");
        await gate.WaitStartedAsync("after");
        gate.Release("after");
        await after.Result.Within();

        Assert.That(gate.HasStarted("queued-1") || gate.HasStarted("queued-2"), Is.False, "a purged task never starts");
        Assert.That(gate.StartOrder, Is.EqualTo(new[] { "running", "after" }));
        Assert.That(second.Results.Select(r => r.Result.Result.Bytes.ToStringUtf8()), Is.EqualTo(new[] { "\"running\"", "\"after\"" }));
        await harness.StopAsync();
    }

    [Test]
    public async Task At_detach_the_dead_sessions_queued_frames_are_dropped_and_its_results_are_sent_exactly_once_by_the_replay()
    {
        const string Stuck = "0aaaaaaa-0000-4000-8000-00000000000a";
        var hooked = new SendHook();
        await using var harness = WorkerHarness.Create(b =>
        {
            Echo(b);
            hooked.Install(b);
        }, WorkerOptions(maxConcurrency: 4));

        // Session 1's write pump hangs on its first result: whatever is reported next waits in the outbound channel.
        var never = new TaskCompletionSource();
        hooked.OnSend = (session, frame) => session == 1 && frame.Result?.WorkflowId.Uuid == Stuck ? never.Task : null;
        harness.Engine.RedispatchLostTasks = false;
        var atFirstEnd = CaptureAtFirstEnd(harness.Worker);
        var sleeps = new Sleeps(harness.Time);
        var first = await harness.StartAndRegisterAsync();

        var stuck = harness.Engine.Dispatch("echo", "stuck", new DispatchOptions { WorkflowId = Stuck });
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 1, "the stuck result is tracked");
        var queued = new[] { "b", "c" }.Select(input => harness.Engine.Dispatch("echo", input)).ToArray();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 3 && harness.Worker.Runtime.Pipeline!.Outbound.Count == 2, "two results wait in the outbound channel");

        first.Fail(Unavailable("s1"));
        var dropped = await atFirstEnd.Task.Within();
        Assert.That(dropped.QueuedFrames, Is.Zero, "the dead session's queued frames are dropped at detach");
        Assert.That(first.Results, Is.Empty);

        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await Task.WhenAll(new[] { stuck }.Concat(queued).Select(t => t.Result)).Within();
        var marker = await harness.Engine.Dispatch("echo", "marker").Result.Within();

        // Frames leave in order: had any copy been left behind, it would have reached the engine before the marker.
        Assert.That(marker.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"marker\""));
        foreach (var task in new[] { stuck }.Concat(queued))
        {
            Assert.That(harness.Engine.Results.Count(r => r.WorkflowId == task.WorkflowId), Is.EqualTo(1), $"{task.WorkflowId} is sent exactly once");
            Assert.That(second.Results.Count(r => r.WorkflowId == task.WorkflowId), Is.EqualTo(1), "by the replay on the next session");
        }

        await harness.StopAsync();
    }

    [Test]
    public async Task A_result_finished_during_an_outage_is_sent_exactly_once_on_the_next_session()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => ReconnectKit.Echo(gate.Register(b)), WorkerOptions());
        harness.Engine.RedispatchLostTasks = false;
        var recorder = new SessionRecorder(harness.Worker);
        var sleeps = new Sleeps(harness.Time);
        var first = await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch(BlockingActivity.Type, "outage");
        await gate.WaitStartedAsync("outage");

        first.Fail(Unavailable("s1"));
        await recorder.WaitForEndAsync(1);
        gate.Release("outage");
        await Poll.UntilAsync(() => harness.Worker.RunningActivities == 0 && harness.Worker.UnackedResults == 1, "the outcome is tracked while no session is open");
        Assert.That(harness.Worker.Runtime.CurrentSession, Is.Null);
        Assert.That(harness.Worker.Runtime.Pipeline!.Outbound.Count, Is.Zero, "nothing is queued for a detached pipeline");

        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        var result = await task.Result.Within();
        await harness.Engine.Dispatch("echo", "marker").Result.Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"outage\""));
        Assert.That(harness.Engine.Results.Count(r => r.WorkflowId == task.WorkflowId), Is.EqualTo(1), "sent exactly once");
        Assert.That(second.Results.First().WorkflowId, Is.EqualTo(task.WorkflowId), "by the replay, first on the new session");
        await harness.StopAsync();
    }

    [Test]
    public async Task The_latest_progress_of_a_still_running_activity_is_sent_on_the_next_session()
    {
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finish = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(b => b.AddActivity<string, string>("progress", async (input, context) =>
        {
            await context.HeartbeatAsync("p1");
            await resume.Task;

            // No session is open: neither call waits nor throws; the last one is kept.
            await context.HeartbeatAsync("p2");
            await context.HeartbeatAsync("p3");
            reported.SetResult();
            await finish.Task;
            return input;
        }), WorkerOptions());
        harness.Engine.RedispatchLostTasks = false;
        var recorder = new SessionRecorder(harness.Worker);
        var sleeps = new Sleeps(harness.Time);
        var first = await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("progress", "done");
        await harness.Engine.WaitUntilAsync(() => first.Heartbeats.Any(h => h.HasProgress)).Within();

        first.Fail(Unavailable("s1"));
        await recorder.WaitForEndAsync(1);
        resume.SetResult();
        await reported.Task.Within();
        Assert.That(harness.Worker.Runtime.Pipeline!.Outbound.Count, Is.Zero, "progress is kept per activity, not queued, while detached");

        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Engine.WaitUntilAsync(() => second.Heartbeats.Any(h => h.HasProgress)).Within();
        finish.SetResult();
        await task.Result.Within();

        Assert.That(Progress(first), Is.EqualTo(new[] { "\"p1\"" }));
        Assert.That(Progress(second), Is.EqualTo(new[] { "\"p3\"" }), "only the latest progress, once");
        Assert.That(second.Results.Single().Sequence, Is.GreaterThan(second.Heartbeats.Single().Sequence));
        await harness.StopAsync();
    }

    [Test]
    public async Task Acks_and_drains_are_applied_as_read_while_every_slot_is_busy_and_the_queue_was_full_of_a_dead_sessions_tasks()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), options =>
        {
            WorkerOptions(maxConcurrency: 1)(options);
            options.MaxQueuedTasks = 2;
        }, new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        harness.Engine.RedispatchLostTasks = false;
        var atFirstEnd = CaptureAtFirstEnd(harness.Worker);
        var sleeps = new Sleeps(harness.Time);
        var first = await harness.StartAndRegisterAsync();

        // Session 1: one unacked result, the slot busy, and the queue full.
        var done = harness.Engine.Dispatch(BlockingActivity.Type, "done");
        gate.Release("done");
        await done.Result.Within();
        var running = harness.Engine.Dispatch(BlockingActivity.Type, "running");
        await gate.WaitStartedAsync("running");
        harness.Engine.Dispatch(BlockingActivity.Type, "queued-1");
        harness.Engine.Dispatch(BlockingActivity.Type, "queued-2");
        await Poll.UntilAsync(() => harness.Worker.Runtime.Pipeline!.Inbound.Count == 2, "the queue is full");

        first.Fail(Unavailable("s1"));
        Assert.That((await atFirstEnd.Task.Within()).QueuedTasks, Is.Zero);
        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Engine.WaitUntilAsync(() => second.Results.Count == 1).Within();

        // A new task, then the ack of the replayed result: the task waits for the busy slot, the ack does not wait behind it.
        var next = harness.Engine.Dispatch(BlockingActivity.Type, "next");
        second.AckPending();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the ack is applied while every slot is busy");
        Assert.That(harness.Worker.RunningActivities, Is.EqualTo(1));
        Assert.That(gate.HasStarted("next"), Is.False);

        second.Drain();
        await Poll.UntilAsync(() => harness.Logs.GetSnapshot().Any(e => e.Id.Id == DrainReceivedLogId), "the drain is read while every slot is busy");
        Assert.That(second.FramesUnreadByWorker, Is.Zero);

        harness.Engine.AckMode = AckMode.Auto;
        gate.Release("running");
        await gate.WaitStartedAsync("next");
        gate.Release("next");
        await Task.WhenAll(running.Result, next.Result).Within();
        await second.Completion.Within();
        Assert.That(gate.HasStarted("queued-1") || gate.HasStarted("queued-2"), Is.False, "the dead session's tasks never start");
        await harness.StopAsync();
    }

    private static string[] Progress(EngineSession session) =>
        session.Heartbeats.Where(h => h.HasProgress).Select(h => h.Heartbeat.Progress.Bytes.ToStringUtf8()).ToArray();
}
