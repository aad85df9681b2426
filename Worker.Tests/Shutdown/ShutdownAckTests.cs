using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Tests.Shutdown;

/// <summary>CONFORMANCE #45: a graceful shutdown confirms delivery — it waits up to ShutdownAckTimeout for the acks of what it sent, and says what is left.</summary>
public sealed class ShutdownAckTests
{
    private const int RunLeftResultsLogId = 41;
    private static readonly TimeSpan AckTimeout = TimeSpan.FromSeconds(3);

    private static WorkerHarness Create(BlockingActivity gate, AckMode ackMode) => WorkerHarness.Create(b => gate.Register(b), options =>
    {
        options.MaxConcurrency = 4;
        options.ShutdownAckTimeout = AckTimeout;
        options.RegisterTimeout = TimeSpan.FromSeconds(5);
        options.SendTimeout = TimeSpan.FromSeconds(5);
    }, new InMemoryEngineOptions { AckMode = ackMode });

    [Test]
    public async Task Shutdown_with_results_sent_but_unacked_waits_ShutdownAckTimeout_then_lists_them_in_the_summary_and_a_warning()
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate, AckMode.Drop);
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();
        var tasks = new[] { "a", "b" }.Select((input, i) => harness.Engine.Dispatch(BlockingActivity.Type, input, new DispatchOptions { WorkflowId = "wf-" + input, Position = (ulong)(i + 1) })).ToArray();
        await gate.WaitStartedAsync("a");
        await gate.WaitStartedAsync("b");

        harness.Shutdown();
        gate.Release("a");
        gate.Release("b");
        await Task.WhenAll(tasks.Select(t => t.Result)).Within();

        // Both results reached the engine on the open stream; their acks never come: the run waits, for ShutdownAckTimeout only.
        await harness.Time.WaitForTimerAsync(AckTimeout);
        await Poll.HoldsAsync(() => !harness.Run!.IsCompleted, "the run waits for the acks");
        Assert.That(session.IsOpen, Is.True, "the stream stays open while the worker waits for acks");
        harness.Time.Advance(AckTimeout - TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(100));
        await Poll.HoldsAsync(() => !harness.Run!.IsCompleted, "still waiting just before the timeout", TimeSpan.FromMilliseconds(50));
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));
        await harness.Run!.Within();

        var summary = harness.Worker.LastRunSummary;
        Assert.That(summary, Is.Not.Null);
        Assert.That(summary!.IsEmpty, Is.False);
        Assert.That(summary.UnackedResults.Select(r => (r.WorkflowId, r.ActivityId, r.Attempt, r.Sent)), Is.EqualTo(new[] { ("wf-a", 1UL, 1U, true), ("wf-b", 2UL, 1U, true) }));
        var finalEnd = sessions.Ended.Last();
        Assert.That(finalEnd.End.Kind, Is.EqualTo(SessionEndKind.Shutdown));
        Assert.That(finalEnd.RunSummary?.UnackedResults.Select(r => r.WorkflowId), Is.EqualTo(new[] { "wf-a", "wf-b" }), "the final session end carries the summary");
        var warning = harness.Logs.GetSnapshot().Single(e => e.Id.Id == RunLeftResultsLogId);
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.Message, Does.Contain("2 results not acknowledged").And.Contain("wf-a/1#1").And.Contain("wf-b/2#1"));
        Assert.That(session.WorkerClosed, Is.True, "the worker closed the stream after the wait");
    }

    [Test]
    public async Task Shutdown_ends_as_soon_as_the_acks_arrive_and_the_summary_is_empty()
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate, AckMode.Withhold);
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch(BlockingActivity.Type, "a");
        await gate.WaitStartedAsync("a");

        harness.Shutdown();
        gate.Release("a");
        await task.Result.Within();
        await harness.Time.WaitForTimerAsync(AckTimeout);
        Assert.That(harness.Run!.IsCompleted, Is.False, "waiting for the ack");

        session.AckPending();
        await harness.Run.Within();

        Assert.That(harness.Worker.LastRunSummary?.IsEmpty, Is.True);
        Assert.That(sessions.Ended.Last().RunSummary?.IsEmpty, Is.True);
        Assert.That(harness.Logs.GetSnapshot().Any(e => e.Id.Id == RunLeftResultsLogId), Is.False);
    }

    [Test]
    public async Task With_acks_arriving_at_once_shutdown_does_not_wait_and_the_summary_is_empty()
    {
        var gate = new BlockingActivity();
        await using var harness = Create(gate, AckMode.Auto);
        await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch(BlockingActivity.Type, "a");
        await gate.WaitStartedAsync("a");

        harness.Shutdown();
        gate.Release("a");
        await task.Result.Within();

        // No fake time passes: the wait ends with the ack.
        await harness.Run!.Within();
        Assert.That(harness.Worker.LastRunSummary?.IsEmpty, Is.True);
    }
}

/// <summary>Issue #14 item 2's reproduction in process: the engine stops reading, then shutdown.</summary>
public sealed class ShutdownWithAnEngineThatStopsReadingTests
{
    [Test]
    public async Task Shutdown_while_the_engine_stops_reading_lists_every_result_it_could_not_confirm_and_warns()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), options =>
        {
            options.MaxConcurrency = 4;
            options.ShutdownAckTimeout = TimeSpan.FromSeconds(3);
            options.RegisterTimeout = TimeSpan.FromSeconds(5);
            options.SendTimeout = TimeSpan.FromSeconds(2);
        });
        var session = await harness.StartAndRegisterAsync();
        var inputs = new[] { "a", "b", "c" };
        foreach (var input in inputs)
        {
            harness.Engine.Dispatch(BlockingActivity.Type, input, new DispatchOptions { WorkflowId = "wf-" + input, Position = 1 });
            await gate.WaitStartedAsync(input);
        }

        session.StallWorkerSends = true;
        harness.Shutdown();
        foreach (var input in inputs)
        {
            gate.Release(input);
        }

        // The results cannot be written: the send deadline ends the session, and the run ends with that send error.
        await harness.Time.WaitForTimerAsync(TimeSpan.FromSeconds(2));
        harness.Time.Advance(TimeSpan.FromSeconds(2), TimeSpan.FromMilliseconds(100));
        try
        {
            await harness.Run!.Within();
        }
        catch (AionWorkerException error)
        {
            Assert.That(error.Kind, Is.EqualTo(AionErrorKind.SendTimeout).Or.EqualTo(AionErrorKind.Connection), $"{error}");
        }

        Assert.That(session.Results, Is.Empty, "nothing reached the engine");
        var summary = harness.Worker.LastRunSummary!;
        Assert.That(summary.UnackedResults.Select(r => r.WorkflowId), Is.EqualTo(new[] { "wf-a", "wf-b", "wf-c" }), "every result the engine did not confirm, with its ids");
        var warning = harness.Logs.GetSnapshot().Single(e => e.Id.Id == 41);
        Assert.That(warning.Level, Is.EqualTo(Microsoft.Extensions.Logging.LogLevel.Warning));
        Assert.That(warning.Message, Does.Contain("3 results not acknowledged").And.Contain("wf-a/1#1"));
    }
}
