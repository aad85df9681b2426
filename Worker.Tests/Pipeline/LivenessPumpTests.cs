using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline;

public sealed class LivenessPumpTests
{
    private const int DrainReceivedLogId = 12;
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    private static WorkerHarness Create(BlockingActivity gate, int maxConcurrency = 2, TimeSpan? window = null) =>
        WorkerHarness.Create(b => gate.Register(b), o => o.MaxConcurrency = maxConcurrency, new InMemoryEngineOptions { HeartbeatWindow = window ?? Window });

    private static int Beats(EngineSession session, string workflowId) => session.Heartbeats.Count(h => h.WorkflowId == workflowId && !h.HasProgress);

    private static Task WaitForPumpAsync(WorkerHarness harness) =>
        harness.Time.WaitForAsync(() => harness.Time.ActiveTimers().Any(t => t.Period == Interval));

    /// <summary>Advances one pump interval and waits until the round it triggers arrived.</summary>
    private static async Task BeatOnceAsync(WorkerHarness harness, EngineSession session, params string[] workflowIds)
    {
        var before = workflowIds.ToDictionary(id => id, id => Beats(session, id));
        harness.Time.Advance(Interval);
        await harness.Engine.WaitUntilAsync(() => workflowIds.All(id => Beats(session, id) >= before[id] + 1)).Within();
        Assert.That(workflowIds.Select(id => Beats(session, id) - before[id]), Is.All.EqualTo(1), "one beat per task per interval");
    }

    [Test]
    public async Task A_silent_handler_gets_progressless_heartbeats_every_interval_and_none_after_it_finished()
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate);
        var session = await harness.StartAndRegisterAsync();
        var silent = harness.Engine.Dispatch(BlockingActivity.Type, "silent", new DispatchOptions { WorkflowId = "wf-silent" });
        harness.Engine.Dispatch(BlockingActivity.Type, "other", new DispatchOptions { WorkflowId = "wf-other" });
        await gate.WaitStartedAsync("silent");
        await gate.WaitStartedAsync("other");
        await WaitForPumpAsync(harness);

        for (var i = 1; i <= 3; i++)
        {
            await BeatOnceAsync(harness, session, "wf-silent", "wf-other");
        }

        Assert.That(Beats(session, "wf-silent"), Is.EqualTo(3));

        gate.Release("silent");
        await silent.Result.Within();
        var finishedAt = session.Results.Single().Sequence;

        // A later round (proved by the other task's beat) carries nothing for the finished one.
        await BeatOnceAsync(harness, session, "wf-other");
        await BeatOnceAsync(harness, session, "wf-other");
        Assert.That(session.Heartbeats.Where(h => h.WorkflowId == "wf-silent" && h.Sequence > finishedAt), Is.Empty);

        gate.ReleaseAll();
        await harness.StopAsync();
    }

    [Test]
    public async Task A_window_of_zero_disables_the_pump()
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate, window: TimeSpan.Zero);
        var session = await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch(BlockingActivity.Type, "silent");
        var context = await gate.WaitStartedAsync("silent");

        Assert.That(context.HeartbeatWindow, Is.EqualTo(TimeSpan.Zero));
        Assert.That(harness.Time.Timers.Where(t => t.Period > TimeSpan.Zero), Is.Empty, "no pump timer exists");
        harness.Time.Advance(TimeSpan.FromMilliseconds(100));

        gate.Release("silent");
        await task.Result.Within();
        Assert.That(session.Heartbeats, Is.Empty);
        await harness.StopAsync();
    }

    [TestCase(30_000, 7_500)]
    [TestCase(100, 25)]
    [TestCase(2, 1)]
    public async Task Pump_interval_is_a_quarter_of_the_window_and_at_least_one_millisecond(int windowMs, double intervalMs)
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate);
        harness.Engine.Script(ConnectionScript.Accept(heartbeatWindow: TimeSpan.FromMilliseconds(windowMs)));
        await harness.StartAndRegisterAsync();

        await harness.Time.WaitForAsync(() => harness.Time.ActiveTimers().Any(t => t.Period > TimeSpan.Zero));
        var pump = harness.Time.ActiveTimers().Single(t => t.Period > TimeSpan.Zero);

        Assert.That(pump.Period, Is.EqualTo(TimeSpan.FromMilliseconds(intervalMs)));
        Assert.That(pump.DueTime, Is.EqualTo(TimeSpan.FromMilliseconds(intervalMs)));
        await harness.StopAsync();
    }

    [Test]
    public async Task Pump_beats_for_running_and_queued_tasks_while_every_slot_is_busy()
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate, maxConcurrency: 1);
        var session = await harness.StartAndRegisterAsync();
        harness.Engine.Dispatch(BlockingActivity.Type, "running", new DispatchOptions { WorkflowId = "wf-running" });
        harness.Engine.Dispatch(BlockingActivity.Type, "queued", new DispatchOptions { WorkflowId = "wf-queued" });
        await gate.WaitStartedAsync("running");
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 2, "the queued task was received");
        await WaitForPumpAsync(harness);

        await BeatOnceAsync(harness, session, "wf-running", "wf-queued");
        await BeatOnceAsync(harness, session, "wf-running", "wf-queued");
        Assert.That(gate.HasStarted("queued"), Is.False);

        gate.ReleaseAll();
        await harness.StopAsync();
    }

    [Test]
    public async Task Pump_keeps_beating_after_a_drain_frame_while_running_and_queued_work_finishes()
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate, maxConcurrency: 1);
        var session = await harness.StartAndRegisterAsync();
        var running = harness.Engine.Dispatch(BlockingActivity.Type, "running", new DispatchOptions { WorkflowId = "wf-running" });
        var queued = harness.Engine.Dispatch(BlockingActivity.Type, "queued", new DispatchOptions { WorkflowId = "wf-queued" });
        await gate.WaitStartedAsync("running");
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 2, "the queued task was received");
        await WaitForPumpAsync(harness);

        session.Drain();
        await Poll.UntilAsync(() => harness.Logs.GetSnapshot().Any(e => e.Id.Id == DrainReceivedLogId), "the drain was read");
        await BeatOnceAsync(harness, session, "wf-running", "wf-queued");

        gate.Release("running");
        await running.Result.Within();
        await gate.WaitStartedAsync("queued");
        await BeatOnceAsync(harness, session, "wf-queued");

        gate.Release("queued");
        await queued.Result.Within();
        await session.Completion.Within();
        Assert.That(session.Results.Select(r => r.WorkflowId), Is.EqualTo(new[] { "wf-running", "wf-queued" }));
        await harness.StopAsync();
    }

    [Test]
    public async Task Pump_keeps_beating_during_shutdown_for_running_and_never_started_queued_tasks()
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate, maxConcurrency: 1);
        var session = await harness.StartAndRegisterAsync();
        harness.Engine.Dispatch(BlockingActivity.Type, "running", new DispatchOptions { WorkflowId = "wf-running" });
        harness.Engine.Dispatch(BlockingActivity.Type, "queued", new DispatchOptions { WorkflowId = "wf-queued" });
        var context = await gate.WaitStartedAsync("running");
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 2, "the queued task was received");
        await WaitForPumpAsync(harness);

        // The handler ignores its token, so the shutdown waits for it with the stream open.
        harness.Shutdown();
        await Poll.UntilAsync(() => context.CancellationToken.IsCancellationRequested, "shutdown cancelled the running activity");
        await BeatOnceAsync(harness, session, "wf-running", "wf-queued");
        await BeatOnceAsync(harness, session, "wf-running", "wf-queued");

        gate.Release("running");
        await harness.Run!.Within();
        Assert.That(session.Results.Select(r => r.WorkflowId), Is.EqualTo(new[] { "wf-running" }), "the queued task is never started nor reported");
        Assert.That(gate.HasStarted("queued"), Is.False);
        Assert.That(session.WorkerClosed, Is.True);
    }
}
