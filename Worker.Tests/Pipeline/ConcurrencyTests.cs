using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline;

public sealed class ConcurrencyTests
{
    private const int DrainReceivedLogId = 12;

    [Test]
    public async Task Five_blocking_tasks_with_concurrency_two_run_exactly_two_at_once_and_report_in_finish_order()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), o => o.MaxConcurrency = 2);
        var session = await harness.StartAndRegisterAsync();

        var inputs = new[] { "t1", "t2", "t3", "t4", "t5" };
        var tasks = inputs.Select(input => harness.Engine.Dispatch(BlockingActivity.Type, input)).ToArray();
        await gate.WaitStartedAsync("t1");
        await gate.WaitStartedAsync("t2");

        Assert.That(gate.Running, Is.EqualTo(2));
        await Poll.HoldsAsync(() => gate.Running == 2 && gate.Peak == 2, "exactly two run while they are blocked");
        // t1 and t2 were admitted in that order, but they run as two thread-pool work items: which
        // handler body runs first is the scheduler's choice, so only the pair is pinned here.
        Assert.That(gate.StartOrder, Is.EquivalentTo(new[] { "t1", "t2" }));

        // Release in an order different from arrival; each release frees a slot for the next queued task.
        var finishOrder = new[] { "t2", "t1", "t4", "t3", "t5" };
        var released = 0;
        foreach (var input in finishOrder)
        {
            await gate.WaitStartedAsync(input);
            gate.Release(input);
            await tasks[Array.IndexOf(inputs, input)].Result.Within();

            // The freed slot goes to the next queued task: wait until it runs before freeing another,
            // so each later start is observed alone and the order below is the admission order.
            released++;
            var expected = Math.Min(inputs.Length, 2 + released);
            await Poll.UntilAsync(() => gate.StartOrder.Count == expected, "the next queued task started");
        }

        Assert.That(gate.Peak, Is.EqualTo(2), "never more than MaxConcurrency");
        Assert.That(gate.StartOrder.Skip(2), Is.EqualTo(inputs.Skip(2)), "queued tasks start in arrival order");
        Assert.That(session.Results.Select(r => r.Result.Result.Bytes.ToStringUtf8().Trim('"')), Is.EqualTo(finishOrder));

        await harness.StopAsync();
    }

    [Test]
    public async Task Acks_and_a_drain_frame_are_read_and_acted_on_while_every_slot_is_busy()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), o => o.MaxConcurrency = 1, new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var session = await harness.StartAndRegisterAsync();

        var quick = harness.Engine.Dispatch(BlockingActivity.Type, "quick");
        gate.Release("quick");
        await quick.Result.Within();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 1, "the result is tracked");

        var busy = harness.Engine.Dispatch(BlockingActivity.Type, "busy");
        var queued = harness.Engine.Dispatch(BlockingActivity.Type, "queued");
        await gate.WaitStartedAsync("busy");

        // The only slot is busy and one task waits: the ack still clears the tracker.
        session.AckPending();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the ack was acted on while the slot is busy");

        session.Drain();
        await Poll.UntilAsync(() => harness.Logs.GetSnapshot().Any(e => e.Id.Id == DrainReceivedLogId), "the drain frame was read while the slot is busy");
        Assert.That(session.FramesUnreadByWorker, Is.Zero);
        Assert.That(gate.HasStarted("queued"), Is.False);

        // The drain lets running and queued work finish on the draining stream.
        harness.Engine.AckMode = AckMode.Auto;
        gate.Release("busy");
        gate.Release("queued");
        await busy.Result.Within();
        await queued.Result.Within();
        Assert.That(session.Results.Select(r => r.Session), Is.All.SameAs(session));
        Assert.That(await session.Completion.Within(), Has.Property("StatusCode").EqualTo(global::Grpc.Core.StatusCode.OK));
        Assert.That(session.WorkerClosed, Is.True);

        await harness.StopAsync();
    }

    [Test]
    public async Task A_full_queue_stops_reading_until_a_task_starts()
    {
        var gate = new BlockingActivity();

        // No acks: an ack frame would sit unread behind the held task and blur the count.
        await using var harness = WorkerHarness.Create(b => gate.Register(b), o =>
        {
            o.MaxConcurrency = 1;
            o.MaxQueuedTasks = 1;
        }, new InMemoryEngineOptions { AckMode = AckMode.Drop });
        var session = await harness.StartAndRegisterAsync();

        var tasks = new[] { "running", "queued", "held", "unread" }.Select(input => harness.Engine.Dispatch(BlockingActivity.Type, input)).ToArray();
        await gate.WaitStartedAsync("running");

        // "queued" fills the queue, "held" is read and waits for room, "unread" stays in the stream.
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 3 && session.FramesUnreadByWorker == 1, "the worker read up to the full queue");
        await Poll.HoldsAsync(() => session.FramesUnreadByWorker == 1 && !gate.HasStarted("queued"), "nothing more is read while the queue is full");

        gate.Release("running");
        await gate.WaitStartedAsync("queued");
        await Poll.UntilAsync(() => session.FramesUnreadByWorker == 0, "reading resumed once a task started");

        foreach (var input in new[] { "queued", "held", "unread" })
        {
            await gate.WaitStartedAsync(input);
            gate.Release(input);
        }

        await Task.WhenAll(tasks.Select(t => t.Result)).Within();
        Assert.That(gate.Peak, Is.EqualTo(1));

        await harness.StopAsync();
    }
}
