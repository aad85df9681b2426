using System.Collections.Concurrent;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline.Stages;

/// <summary>CONFORMANCE #43: a stage that throws costs one outcome (or one progress frame), never the session, the run or a result.</summary>
public sealed class StageFailureTests
{
    private const int InboundStageFailedLogId = 60;
    private const int OutboundStageFailedLogId = 61;

    [Test]
    public async Task C43_An_inbound_stage_that_throws_fails_the_task_RETRYABLE_naming_the_stage_and_the_session_goes_on()
    {
        var stage = new RecordingStage("flaky", new ConcurrentQueue<string>())
        {
            Decide = input => input.StartsWith("boom", StringComparison.Ordinal) ? throw new InvalidOperationException("the quota service is down") : new(InboundDecision.Admit),
        };
        await using var harness = WorkerHarness.Create(b => b.AddActivity<string, string>("echo", (input, _) => input).ConfigurePipeline(p => p.AddInboundStage(stage)));
        var session = await harness.StartAndRegisterAsync();

        var boom1 = await harness.Engine.Dispatch("echo", "boom1").Result.Within();
        var boom2 = await harness.Engine.Dispatch("echo", "boom2").Result.Within();
        var fine = await harness.Engine.Dispatch("echo", "fine").Result.Within();

        Assert.That(boom1.GetFailure(), Is.EqualTo(new ActivityFailure(ActivityErrorKind.Retryable, "The inbound stage 'RecordingStage' failed: the quota service is down", null)));
        Assert.That(boom2.GetFailure().IsRetryable, Is.True);
        Assert.That(fine.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(session.Results.Select(r => r.Session), Is.All.SameAs(session), "the session goes on");
        Assert.That(harness.Logs.GetSnapshot().Count(e => e.Id.Id == InboundStageFailedLogId), Is.EqualTo(1), "logged once per stage per session");
        await harness.StopAsync();
    }

    [Test]
    public async Task C43_An_outbound_stage_that_throws_makes_the_outcome_RETRYABLE_naming_the_stage_and_the_payload_is_never_sent()
    {
        var stage = new BracketStage { ThrowOn = _ => true };
        await using var harness = WorkerHarness.Create(b => b
            .AddActivity<string, string>("echo", (input, _) => input)
            .AddActivity<string, string>("refuse", string (string input, ActivityContext _) => throw new TerminalActivityException("refused", details: new { card = "4111-secret" }))
            .ConfigurePipeline(p => p.AddOutboundStage(stage)));
        var session = await harness.StartAndRegisterAsync();

        var result = await harness.Engine.Dispatch("echo", "4111-secret").Result.Within();
        var failure = await harness.Engine.Dispatch("refuse", "x").Result.Within();
        var after = await harness.Engine.Dispatch("echo", "y").Result.Within();

        Assert.That(result.GetFailure(), Is.EqualTo(new ActivityFailure(ActivityErrorKind.Retryable, "The outbound stage 'BracketStage' failed on the result: the key vault is unreachable", null)));
        Assert.That(failure.GetFailure(), Is.EqualTo(new ActivityFailure(ActivityErrorKind.Retryable, "The outbound stage 'BracketStage' failed on the failure details: the key vault is unreachable", null)));
        Assert.That(after.GetFailure().IsRetryable, Is.True, "the session goes on");
        Assert.That(harness.Engine.Results.Select(r => r.Result.ToString()), Has.None.Contains("4111-secret"), "the untransformed payload never left");
        Assert.That(harness.Logs.GetSnapshot().Count(e => e.Id.Id == OutboundStageFailedLogId), Is.EqualTo(1), "logged once per stage per session");
        Assert.That(session.IsOpen, Is.True);
        await harness.StopAsync();
    }

    [Test]
    public async Task C43_A_failing_progress_transform_drops_that_frame_and_the_activity_goes_on()
    {
        var stage = new BracketStage { ThrowOn = kind => kind == OutboundPayloadKind.Progress };
        await using var harness = WorkerHarness.Create(b => b
            .AddActivity<string, string>("report", async (input, context) =>
            {
                await context.HeartbeatAsync(new { step = "secret-step" });
                return input;
            })
            .ConfigurePipeline(p => p.AddOutboundStage(stage)));
        var session = await harness.StartAndRegisterAsync();

        var result = await harness.Engine.Dispatch("report", "done").Result.Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("[\"done\"]"));
        Assert.That(session.Heartbeats.Where(h => h.HasProgress), Is.Empty, "the progress frame was dropped");
        Assert.That(stage.Calls, Is.EqualTo(new[] { OutboundPayloadKind.Progress, OutboundPayloadKind.Result }));
        await harness.StopAsync();
    }
}
