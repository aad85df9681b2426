using System.Globalization;
using System.Collections.Concurrent;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Shutdown;

/// <summary>CONFORMANCE #38–#40 and the abandon token: shutdown in every phase of the run.</summary>
public sealed class ShutdownTests
{
    /// <summary>An activity that signals its start and its token, ignores the token, and finishes only when released.</summary>
    private sealed class Hold
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource TokenFired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public ConcurrentQueue<string> Events { get; } = new();
        public int Invocations;
        public ActivityCancellationReason Reason;

        public void Register(AionWorkerBuilder builder) => builder.AddActivity<string, string>("hold", async (input, context) =>
        {
            Interlocked.Increment(ref Invocations);
            context.CancellationToken.Register(() =>
            {
                Reason = context.CancellationReason;
                TokenFired.TrySetResult();
            });
            Started.TrySetResult();
            await Release.Task;
            Events.Enqueue("activity finished");
            return $"{input} finished";
        });
    }

    [Test]
    public async Task Shutdown_while_an_activity_runs_waits_for_it_and_reports_its_result_on_the_open_stream()
    {
        var hold = new Hold();
        await using var harness = WorkerHarness.Create(hold.Register, WorkerOptions(maxConcurrency: 1));
        var session = await harness.StartAndRegisterAsync();
        var running = harness.Engine.Dispatch("hold", "a");
        await hold.Started.Task.Within();
        var queued = harness.Engine.Dispatch("hold", "b");
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 2, "the second task to be queued");
        var returned = harness.Run!.ContinueWith(_ => hold.Events.Enqueue("run returned"), TaskScheduler.Default);

        harness.Shutdown();
        await hold.TokenFired.Task.Within();
        Assert.That(hold.Reason, Is.EqualTo(ActivityCancellationReason.Shutdown));
        Assert.That(harness.Run.IsCompleted, Is.False, "the run waits for the activity");
        Assert.That(session.IsOpen, Is.True);

        hold.Release.TrySetResult();
        await harness.Run.Within();
        await returned.Within();

        Assert.That(hold.Events, Is.EqualTo(new[] { "activity finished", "run returned" }));
        var result = await running.Result.Within();
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"a finished\""));
        Assert.That(harness.Engine.Results.Single().Session, Is.SameAs(session), "reported on the open stream");
        Assert.That(hold.Invocations, Is.EqualTo(1), "the queued task never started");
        Assert.That(queued.IsCompleted, Is.False, "and was not reported");
        await session.Completion.Within();
        Assert.That(session.WorkerClosed, Is.True);
    }

    [Test]
    public async Task Shutdown_during_the_backoff_after_an_error_drop_fails_promptly_with_that_error_once_the_surviving_activity_finished()
    {
        var hold = new Hold();
        await using var harness = WorkerHarness.Create(hold.Register, WorkerOptions());
        harness.Engine.RedispatchLostTasks = false;
        var session = await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("hold", "survivor");
        await hold.Started.Task.Within();
        var startedAt = harness.Time.GetUtcNow();

        session.Fail(Unavailable("engine restarting"));
        await harness.Time.WaitForTimerCountAsync(Ms(5), 1);
        harness.Shutdown();
        await hold.TokenFired.Task.Within();
        Assert.That(harness.Run!.IsCompleted, Is.False, "the run waits for the surviving activity");
        hold.Release.TrySetResult();
        var error = await harness.RunFailureAsync();

        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(error.StatusDetail, Is.EqualTo("engine restarting"));
        Assert.That(harness.Time.GetUtcNow(), Is.EqualTo(startedAt), "no backoff was waited out");
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1));
        Assert.That(
            harness.Logs.GetSnapshot().Any(e => e.Id.Id == 25 && e.GetStructuredStateValue("WorkflowId") == task.WorkflowId && e.GetStructuredStateValue("ActivityId") == task.Position.ToString(CultureInfo.InvariantCulture)),
            Is.True,
            "the outcome finished with no session open is logged with its ids");
    }

    [TestCase("clean close", TestName = "Shutdown_during_the_backoff_after_a_clean_close_returns_promptly_OK")]
    [TestCase("drain", TestName = "Shutdown_during_the_redial_delay_after_a_drain_returns_promptly_OK")]
    public async Task Shutdown_during_backoff_returns_ok(string how)
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var session = await harness.StartAndRegisterAsync();
        await harness.Worker.WaitForServingAsync(1);
        var startedAt = harness.Time.GetUtcNow();

        if (how == "drain")
        {
            session.Drain();
        }
        else
        {
            session.End();
        }

        await harness.Time.WaitForTimerCountAsync(Ms(5), 1);
        await harness.StopAsync();

        Assert.That(harness.Time.GetUtcNow(), Is.EqualTo(startedAt));
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1));
    }

    [Test]
    public async Task Shutdown_while_the_first_registration_awaits_its_ack_returns_promptly_OK()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        harness.Engine.Script(ConnectionScript.NeverAck());
        harness.Start();
        await harness.Engine.WaitUntilAsync(() => harness.Engine.Sessions.Any(s => s.Registration is not null), Bounds.Token());
        await harness.Time.WaitForTimerCountAsync(QuietTimeout, 1);

        await harness.StopAsync();

        Assert.That(harness.Time.GetUtcNow(), Is.EqualTo(new TestTime().GetUtcNow()), "the register timeout was not waited out");
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1));
    }

    [Test]
    public async Task Shutdown_during_the_first_establishment_backoff_returns_promptly_OK()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        harness.Engine.Script(ConnectionScript.FailConnect(Unavailable("not up yet")));
        harness.Start();
        await harness.Time.WaitForTimerCountAsync(Ms(5), 1);

        await harness.StopAsync();

        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(1));
    }

    [Test]
    public async Task Shutdown_during_re_establishment_after_an_error_drop_fails_promptly_with_that_error()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var sleeps = new Sleeps(harness.Time);
        harness.Engine.Script(ConnectionScript.Accept(), ConnectionScript.NeverAck());
        var session = await harness.StartAndRegisterAsync();
        await harness.Worker.WaitForServingAsync(1);

        session.Fail(Unavailable("lost"));
        await sleeps.PassAsync(Ms(5));
        await harness.Engine.WaitUntilAsync(() => harness.Engine.Sessions.Count == 2 && harness.Engine.Sessions[1].Registration is not null, Bounds.Token());
        await harness.Time.WaitForTimerCountAsync(QuietTimeout, 2);
        var before = harness.Time.GetUtcNow();
        harness.Shutdown();
        var error = await harness.RunFailureAsync();

        Assert.That(error.StatusDetail, Is.EqualTo("lost"));
        Assert.That(harness.Time.GetUtcNow(), Is.EqualTo(before));
    }

    [TestCase(true, TestName = "Shutdown_during_the_replay_after_an_error_drop_fails_promptly_with_that_error")]
    [TestCase(false, TestName = "Shutdown_during_the_replay_after_a_clean_close_returns_promptly_OK")]
    public async Task Shutdown_during_replay(bool afterError)
    {
        var hooked = new SendHook();
        await using var harness = WorkerHarness.Create(b =>
        {
            Echo(b);
            hooked.Install(b);
        }, WorkerOptions());
        var sleeps = new Sleeps(harness.Time);
        var replayStalled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var never = new TaskCompletionSource();
        hooked.OnSend = (session, frame) =>
        {
            if (session != 2 || frame.MessageCase != WorkerToServer.MessageOneofCase.Result)
            {
                return null;
            }

            replayStalled.TrySetResult();
            return never.Task;
        };
        harness.Engine.AckMode = AckMode.Withhold;
        var first = await harness.StartAndRegisterAsync();
        await harness.Engine.Dispatch("echo", "unacked").Result.Within();

        if (afterError)
        {
            first.Fail(Unavailable("lost before the ack"));
        }
        else
        {
            first.End();
        }

        await sleeps.PassAsync(Ms(5));
        await replayStalled.Task.Within();
        var before = harness.Time.GetUtcNow();
        harness.Shutdown();

        if (afterError)
        {
            var error = await harness.RunFailureAsync();
            Assert.That(error.StatusDetail, Is.EqualTo("lost before the ack"));
        }
        else
        {
            await harness.Run!.Within();
        }

        Assert.That(harness.Time.GetUtcNow(), Is.EqualTo(before), "the stalled replay send was not waited out");
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(2));
    }

    [Test]
    public async Task Abandon_returns_at_once_and_logs_running_activities_and_unacked_results_with_their_ids()
    {
        var hold = new Hold();
        await using var harness = WorkerHarness.Create(
            builder =>
            {
                hold.Register(builder);
                Echo(builder);
            },
            WorkerOptions());
        harness.Engine.AckMode = AckMode.Withhold;
        using var shutdown = new CancellationTokenSource();
        using var abandon = new CancellationTokenSource();
        var run = Task.Run(() => harness.Worker.RunAsync(shutdown.Token, abandon.Token));
        try
        {
            await harness.Engine.WaitForSessionAsync(1).Within();
            var unacked = harness.Engine.Dispatch("echo", "sent, never acked");
            await unacked.Result.Within();
            var running = harness.Engine.Dispatch("hold", "stuck");
            await hold.Started.Task.Within();

            shutdown.Cancel();
            await hold.TokenFired.Task.Within();
            Assert.That(run.IsCompleted, Is.False, "shutdown alone waits for the activity");
            abandon.Cancel();
            await run.Within();

            Assert.That(hold.Events, Is.Empty, "nothing was killed or finished");
            var entries = harness.Logs.GetSnapshot();
            var abandoned = entries.Single(e => e.Id.Id == 26);
            Assert.That((abandoned.GetStructuredStateValue("WorkflowId"), abandoned.GetStructuredStateValue("ActivityId"), abandoned.GetStructuredStateValue("Attempt")), Is.EqualTo((running.WorkflowId, running.Position.ToString(CultureInfo.InvariantCulture), "1")));
            var left = entries.Single(e => e.Id.Id == 31);
            Assert.That((left.GetStructuredStateValue("WorkflowId"), left.GetStructuredStateValue("ActivityId")), Is.EqualTo((unacked.WorkflowId, unacked.Position.ToString(CultureInfo.InvariantCulture))), "a sent but unacked result");
            var summary = entries.Single(e => e.Id.Id == 30);
            Assert.That((summary.GetStructuredStateValue("Running"), summary.GetStructuredStateValue("Unacked")), Is.EqualTo(("1", "1")));
        }
        finally
        {
            hold.Release.TrySetResult();
            shutdown.Cancel();
        }
    }
}
