using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Reconnect;

/// <summary>CONFORMANCE #36–#37: drains finish in-flight work, redial after InitialBackoff and spend no budget.</summary>
public sealed class DrainTests
{
    [Test]
    public async Task Three_drains_in_a_row_spend_no_budget_and_a_denial_then_ends_the_run_after_four_connects()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions(maxAttempts: 2));
        var recorder = new SessionRecorder(harness.Worker);
        var sleeps = new Sleeps(harness.Time);
        harness.Engine.Script(
            ConnectionScript.Accept(),
            ConnectionScript.Accept(),
            ConnectionScript.Accept(),
            ConnectionScript.Refuse(Denied("engine retired")));
        harness.Start();

        for (var k = 1; k <= 3; k++)
        {
            var session = await harness.Engine.WaitForSessionAsync(k).Within();
            session.Drain();
            var end = await recorder.WaitForEndAsync(k);
            Assert.That((end.End.Kind, end.Drops), Is.EqualTo((SessionEndKind.Drain, 0)));
            await session.Completion.Within();
            Assert.That(session.WorkerClosed, Is.True, "the worker closed the drained stream");
            await sleeps.PassAsync(Ms(5));
        }

        var error = await harness.RunFailureAsync();

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(4));
        Assert.That(harness.Time.TimersAmong(Ms(5), Ms(10), Ms(20)), Is.EqualTo(new[] { Ms(5), Ms(5), Ms(5) }), "every redial after InitialBackoff");
    }

    [Test]
    public async Task Retryable_failure_after_a_drain_frame_in_the_same_session_stays_a_drain()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(
            builder => builder.AddActivity<string, string>("hold", async (input, _) =>
            {
                started.TrySetResult();
                await release.Task;
                return input;
            }),
            WorkerOptions(maxAttempts: 1)); // any budgeted drop would end the run
        harness.Engine.RedispatchLostTasks = false;
        var recorder = new SessionRecorder(harness.Worker);
        var sleeps = new Sleeps(harness.Time);

        var first = await harness.StartAndRegisterAsync();
        var held = harness.Engine.Dispatch("hold", "held");
        await started.Task.Within();
        first.Drain();
        first.Fail(Unavailable("engine went away mid-drain"));
        var end = await recorder.WaitForEndAsync(1);

        Assert.That(end.End.Kind, Is.EqualTo(SessionEndKind.Drain));
        Assert.That(end.End.Error?.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(end.Drops, Is.EqualTo(0));

        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        release.TrySetResult();
        await held.Result.Within();

        Assert.That(harness.Engine.Results.Single(r => r.WorkflowId == held.WorkflowId).Session, Is.SameAs(second));
        Assert.That(harness.Run!.IsCompleted, Is.False);
        await harness.StopAsync();
    }

    [Test]
    public async Task Drain_reports_running_and_queued_tasks_on_the_draining_stream_then_redials_and_gets_a_new_worker_id()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var starts = 0;
        await using var harness = WorkerHarness.Create(
            builder => builder.AddActivity<string, string>("hold", async (input, context) =>
            {
                Interlocked.Increment(ref starts);
                await release.Task;
                return input;
            }),
            WorkerOptions(maxConcurrency: 1));
        var recorder = new SessionRecorder(harness.Worker);

        var first = await harness.StartAndRegisterAsync();
        var running = harness.Engine.Dispatch("hold", "running");
        var queued = harness.Engine.Dispatch("hold", "queued");
        await Poll.UntilAsync(() => harness.Worker.RunningActivities == 1 && harness.Worker.Runtime.InFlightCount == 2, "one running, one queued");
        first.Drain();
        await Poll.UntilAsync(() => harness.Logs.GetSnapshot().Any(e => e.Id.Id == 12), "the drain to be read");
        Assert.That(first.WorkerClosed, Is.False, "in-flight work is not abandoned");

        release.TrySetResult();
        await Task.WhenAll(running.Result, queued.Result).Within();
        var status = await first.Completion.Within();

        Assert.That(starts, Is.EqualTo(2), "the queued task still ran");
        Assert.That(first.Results.Select(r => r.WorkflowId), Is.EqualTo(new[] { running.WorkflowId, queued.WorkflowId }));
        Assert.That(first.Results.All(r => r.Acked), Is.True);
        Assert.That(first.WorkerClosed, Is.True);
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.OK));

        var end = await recorder.WaitForEndAsync(1);
        Assert.That((end.End.Kind, end.Drops), Is.EqualTo((SessionEndKind.Drain, 0)));
        await harness.Time.WaitForTimerCountAsync(Ms(5), 1);
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1), "no redial before InitialBackoff");
        harness.Time.Advance(Ms(5));

        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Worker.WaitForServingAsync(2);
        Assert.That(harness.Engine.Registrations, Has.Count.EqualTo(2), "re-registered");
        Assert.That(second.WorkerId, Is.Not.EqualTo(first.WorkerId));
        Assert.That(harness.Worker.CurrentRegistration?.WorkerId, Is.EqualTo(second.WorkerId));
        Assert.That(harness.Logs.GetSnapshot().Single(e => e.Id.Id == 3).GetStructuredStateValue("DelayMs"), Is.EqualTo("5"));
        await harness.StopAsync();
    }
}
