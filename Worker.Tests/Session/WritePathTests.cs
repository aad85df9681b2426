using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Session;

/// <summary>
/// The write pump's flush policy and the session's send watchdog, over the in-memory transport with
/// every send and flush recorded (and flushes held or failed on demand). No real-clock timing.
/// </summary>
public sealed class WritePathTests
{
    [Test]
    public async Task A_lone_result_is_flushed_at_once()
    {
        var gate = new BlockingActivity();
        var hooked = new SendHook();
        await using var harness = WorkerHarness.Create(b => hooked.Install(gate.Register(b)));
        await harness.StartAndRegisterAsync();
        var before = hooked.Calls.Length;

        var task = harness.Engine.Dispatch(BlockingActivity.Type, "one");
        gate.Release("one");

        // No time passes: the result reaches the engine because the pump flushed when its queue ran empty.
        await task.Result.Within();
        Assert.That(hooked.Calls[before..], Does.StartWith("SF"), "one send, then its flush");
        await harness.StopAsync();
    }

    [Test]
    public async Task A_burst_of_results_leaves_in_one_flush()
    {
        var gate = new BlockingActivity();
        var hooked = new SendHook();
        await using var harness = WorkerHarness.Create(b => hooked.Install(gate.Register(b)), o => o.MaxConcurrency = 8);
        await harness.StartAndRegisterAsync();

        // The first result's flush is held, so the next five queue up behind it.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var holding = 1;
        hooked.OnFlush = _ => Interlocked.Exchange(ref holding, 0) == 1 ? held.Task : null;
        var start = hooked.Calls.Length;
        var first = harness.Engine.Dispatch(BlockingActivity.Type, "first");
        gate.Release("first");
        await Poll.UntilAsync(() => hooked.Calls.Length >= start + 2, "the first result's flush began");
        Assert.That(hooked.Calls[start..], Is.EqualTo("SF"));
        var mark = hooked.Calls.Length;

        var burst = Enumerable.Range(0, 5).Select(i => harness.Engine.Dispatch(BlockingActivity.Type, "b" + i)).ToArray();
        for (var i = 0; i < 5; i++)
        {
            await gate.WaitStartedAsync("b" + i);
            gate.Release("b" + i);
        }

        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 6, "every result is tracked and queued");
        held.SetResult();

        await first.Result.Within();
        foreach (var task in burst)
        {
            await task.Result.Within();
        }

        Assert.That(hooked.Calls[mark..], Is.EqualTo("SSSSSF"), "five sends, one flush");
        await harness.StopAsync();
    }

    [Test]
    public async Task A_failed_flush_ends_the_session_and_every_result_it_carried_stays_tracked_and_is_replayed()
    {
        var gate = new BlockingActivity();
        var hooked = new SendHook();
        await using var harness = WorkerHarness.Create(b => hooked.Install(gate.Register(b)), o => o.MaxConcurrency = 8);
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();
        harness.Engine.RedispatchLostTasks = false;

        // Hold the first flush, queue three results behind it, then fail the flush that carries them.
        var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushes = 0;
        hooked.OnFlush = number => number != 1 ? null : Interlocked.Increment(ref flushes) switch
        {
            1 => held.Task,
            2 => Task.FromException(new IOException("connection reset mid-batch")),
            _ => null,
        };
        var tasks = new[] { "a", "b", "c", "d" }.Select(input => harness.Engine.Dispatch(BlockingActivity.Type, input)).ToArray();
        gate.Release("a");
        await Poll.UntilAsync(() => Volatile.Read(ref flushes) == 1, "the first flush began");
        foreach (var input in new[] { "b", "c", "d" })
        {
            gate.Release(input);
        }

        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 4, "every result is tracked");
        held.SetResult();

        var end = await sessions.WaitForEndAsync();
        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.Error, Is.Not.Null);
        Assert.That(harness.Worker.UnackedResults, Is.GreaterThanOrEqualTo(3), "the results of the failed flush stay tracked");
        Assert.That(session.Results.Select(r => r.Result.Result.Bytes.ToStringUtf8()), Has.None.EqualTo("\"b\"").And.None.EqualTo("\"c\"").And.None.EqualTo("\"d\""), "nothing of the failed batch reached the engine");
        await session.Completion.Within();

        // The next session replays them.
        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(5));
        harness.Time.Advance(TimeSpan.FromMilliseconds(5));
        foreach (var task in tasks)
        {
            await task.Result.Within();
        }

        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "every replayed result was acked");
        await harness.StopAsync();
    }

    /// <summary>Lets flushes through again and lets the worker redial: the replay delivers the result the stuck flush carried.</summary>
    private static async Task RedialAndDeliverAsync(WorkerHarness harness, SendHook hooked, Aion.Worker.Transport.InMemory.DispatchedTask stuck)
    {
        hooked.OnFlush = null;
        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(5));
        harness.Time.Advance(TimeSpan.FromMilliseconds(5));
        var result = await stuck.Result.Within();
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"stuck\""));
    }

    [Test]
    public async Task A_flush_that_never_completes_misses_the_deadline_counted_from_its_start()
    {
        var gate = new BlockingActivity();
        var hooked = new SendHook();
        await using var harness = WorkerHarness.Create(b => hooked.Install(gate.Register(b)), o => o.SendTimeout = TimeSpan.FromMilliseconds(15));
        var sessions = new SessionRecorder(harness.Worker);
        await harness.StartAndRegisterAsync();
        harness.Engine.RedispatchLostTasks = false;

        // Time passes while nothing is pending: the deadline is per flush, not per session.
        harness.Time.Advance(TimeSpan.FromMilliseconds(40));
        var never = new TaskCompletionSource();
        hooked.OnFlush = _ => never.Task;
        var stuck = harness.Engine.Dispatch(BlockingActivity.Type, "stuck");
        gate.Release("stuck");

        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(15));
        harness.Time.Advance(TimeSpan.FromMilliseconds(14));
        await Poll.HoldsAsync(() => sessions.Ended.Count == 0, "the flush is pending until its deadline", TimeSpan.FromMilliseconds(50));
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));

        var end = await sessions.WaitForEndAsync();
        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.Error!.Kind, Is.EqualTo(AionErrorKind.SendTimeout));
        Assert.That(end.Error.Message, Does.Contain("flush"));
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(1), "the unflushed result stays tracked");
        await RedialAndDeliverAsync(harness, hooked, stuck);
        await harness.StopAsync();
    }

    [Test]
    public async Task A_slow_flush_that_completes_in_time_is_no_failure_and_the_next_one_gets_its_own_deadline()
    {
        var gate = new BlockingActivity();
        var hooked = new SendHook();
        await using var harness = WorkerHarness.Create(b => hooked.Install(gate.Register(b)), o => o.SendTimeout = TimeSpan.FromMilliseconds(15));
        var sessions = new SessionRecorder(harness.Worker);
        await harness.StartAndRegisterAsync();
        harness.Engine.RedispatchLostTasks = false;

        var slow = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        hooked.OnFlush = _ => slow.Task;
        var first = harness.Engine.Dispatch(BlockingActivity.Type, "slow");
        gate.Release("slow");
        var watchdog = await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(15));
        harness.Time.Advance(TimeSpan.FromMilliseconds(10));
        hooked.OnFlush = null;
        slow.SetResult();
        await first.Result.Within();
        await Poll.UntilAsync(() => !watchdog.IsActive, "the watchdog is disarmed once the flush completed");

        // The next slow flush is judged from its own start: 10 ms into it nothing has failed (20 ms after the first began).
        var never = new TaskCompletionSource();
        hooked.OnFlush = _ => never.Task;
        var stuck = harness.Engine.Dispatch(BlockingActivity.Type, "stuck");
        gate.Release("stuck");
        var rearmed = await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(15));
        Assert.That(rearmed, Is.SameAs(watchdog), "one watchdog timer for the session, re-armed, not a timer per flush");
        harness.Time.Advance(TimeSpan.FromMilliseconds(10));
        await Poll.HoldsAsync(() => sessions.Ended.Count == 0, "the second flush is within its own deadline", TimeSpan.FromMilliseconds(50));
        harness.Time.Advance(TimeSpan.FromMilliseconds(5));
        var end = await sessions.WaitForEndAsync();
        Assert.That(end.Error!.Kind, Is.EqualTo(AionErrorKind.SendTimeout));
        await RedialAndDeliverAsync(harness, hooked, stuck);
        await harness.StopAsync();
    }
}
