using System.Collections.Concurrent;
using Aion.Worker.Pipeline;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline.Stages;

/// <summary>Held tasks at a session's end, a drain, and stages that fail outside the task path.</summary>
public sealed class HeldTaskTests
{
    /// <summary>Holds the first task until its token fires or it is released; admits the rest.</summary>
    private sealed class HoldFirstStage : IInboundStage
    {
        private int _calls;

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<bool> TokenFired { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Holding { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public ValueTask<InboundDecision> OnTaskAsync(InboundTaskContext task, CancellationToken cancellationToken) =>
            Interlocked.Increment(ref _calls) == 1 ? HoldAsync(cancellationToken) : new(InboundDecision.Admit);

        private async ValueTask<InboundDecision> HoldAsync(CancellationToken cancellationToken)
        {
            Holding.TrySetResult();
            try
            {
                await Release.Task.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                TokenFired.TrySetResult(true);
                throw;
            }

            return InboundDecision.Admit;
        }
    }

    [Test]
    public async Task A_held_task_is_discarded_when_its_session_ends_and_runs_when_the_engine_redispatches_it()
    {
        var runs = new ConcurrentQueue<string>();
        var stage = new HoldFirstStage();
        await using var harness = WorkerHarness.Create(b => b.AddActivity<string, string>("echo", (input, _) =>
        {
            runs.Enqueue(input);
            return input;
        }).ConfigurePipeline(p => p.AddInboundStage(stage)));
        var first = await harness.StartAndRegisterAsync();

        var task = harness.Engine.Dispatch("echo", "held");
        await stage.Holding.Task.Within();
        first.Fail(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.Unavailable, "gone"));

        Assert.That(await stage.TokenFired.Task.Within(), Is.True, "the stage's token fired at the session's end");
        await new Sleeps(harness.Time).PassAsync(TimeSpan.FromMilliseconds(5));
        await harness.Engine.WaitForSessionAsync(2).Within();
        var result = await task.Result.Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"held\""));
        Assert.That(runs, Is.EqualTo(new[] { "held" }), "discarded on the first session, run once when redispatched");
        await harness.StopAsync();
    }

    [Test]
    public async Task A_held_task_keeps_waiting_during_a_drain_and_is_reported_on_the_draining_stream()
    {
        var stage = new HoldFirstStage();
        await using var harness = WorkerHarness.Create(b => b.AddActivity<string, string>("echo", (input, _) => input).ConfigurePipeline(p => p.AddInboundStage(stage)));
        var session = await harness.StartAndRegisterAsync();

        var task = harness.Engine.Dispatch("echo", "held");
        await stage.Holding.Task.Within();
        session.Drain();
        await Poll.HoldsAsync(() => session.IsOpen && !stage.TokenFired.Task.IsCompleted, "the drain waits for the held task");

        stage.Release.SetResult();
        var result = await task.Result.Within();
        Assert.That(session.Results.Select(r => r.WorkflowId), Is.EqualTo(new[] { task.WorkflowId }), "reported on the draining stream");
        await session.Completion.Within();
        Assert.That(session.WorkerClosed, Is.True, "then the worker closed it");
        await harness.StopAsync();
    }

    [Test]
    public async Task Session_middleware_that_throws_fails_that_establishment_try_and_the_next_try_goes_on()
    {
        var calls = 0;
        await using var harness = WorkerHarness.Create(b => b.AddActivity<string, string>("echo", (input, _) => input)
            .ConfigurePipeline(p => p.AddSessionMiddleware((context, session) =>
                Interlocked.Increment(ref calls) == 1 ? throw new InvalidOperationException("tap not ready") : session)));
        harness.Start();

        await new Sleeps(harness.Time).PassAsync(TimeSpan.FromMilliseconds(5));
        var session = await harness.Engine.AcceptedSessionAsync();
        await harness.Engine.Dispatch("echo", "x").Result.Within();
        Assert.That(calls, Is.EqualTo(2));
        Assert.That(session.Number, Is.EqualTo(2), "the first connection was dropped by the failed try");
        await harness.StopAsync();
    }

    [Test]
    public async Task An_admission_filter_that_throws_fails_the_task_RETRYABLE_and_the_next_task_runs()
    {
        var filter = new ThrowingFilter();
        await using var harness = WorkerHarness.Create(b => b.AddActivity<string, string>("echo", (input, _) => input).ConfigurePipeline(p => p.AddAdmissionFilter(_ => filter)));
        await harness.StartAndRegisterAsync();

        var failed = await harness.Engine.Dispatch("echo", "first").Result.Within();
        var fine = await harness.Engine.Dispatch("echo", "second").Result.Within();

        Assert.That(failed.GetFailure(), Is.EqualTo(new ActivityFailure(Protocol.ActivityErrorKind.Retryable, "An admission filter failed: not today", null)));
        Assert.That(fine.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"second\""));
        await harness.StopAsync();
    }

    private sealed class ThrowingFilter : IAdmissionFilter
    {
        private int _calls;

        public bool TryReserve(in InboundTaskContext task) => Interlocked.Increment(ref _calls) == 1 ? throw new InvalidOperationException("not today") : true;

        public void Release(in InboundTaskContext task)
        {
        }
    }
}

internal static class EngineSessionWaits
{
    /// <summary>The first accepted session, whatever its number.</summary>
    public static async Task<EngineSession> AcceptedSessionAsync(this InMemoryEngine engine)
    {
        await engine.WaitUntilAsync(() => engine.AcceptedSessions.Count > 0).Within();
        return engine.AcceptedSessions[0];
    }
}
