using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline;

public sealed class ResultReportingTests
{
    [Test]
    public async Task Outcomes_are_reported_in_finish_order_with_their_ids_and_tracked_until_acked()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var session = await harness.StartAndRegisterAsync();

        var completed = harness.Engine.Dispatch(BlockingActivity.Type, "completes", new DispatchOptions { WorkflowId = "wf-completes", Position = 1, RunId = "run-a" });
        var failed = harness.Engine.Dispatch(BlockingActivity.Type, "fails", new DispatchOptions { WorkflowId = "wf-fails", Position = 2 });
        await gate.WaitStartedAsync("completes");
        await gate.WaitStartedAsync("fails");

        // The second task finishes first, so it must be reported first.
        gate.Fail("fails", new TerminalActivityException("invalid card"));
        var failure = await failed.Result.Within();
        gate.Release("completes");
        var success = await completed.Result.Within();

        Assert.That(session.Results.Select(r => (r.WorkflowId, r.Position)), Is.EqualTo(new[] { ("wf-fails", 2UL), ("wf-completes", 1UL) }));
        Assert.That(failure.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Error));
        Assert.That(failure.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(failure.Error.Message, Is.EqualTo("invalid card"));
        Assert.That(failure.RunId, Is.Null);
        Assert.That(success.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(success.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"completes\""));
        Assert.That(success.RunId.Uuid, Is.EqualTo("run-a"));

        // Both stay tracked while the engine withholds its acks.
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 2, "both results are tracked");
        await Poll.HoldsAsync(() => harness.Worker.UnackedResults == 2, "results stay tracked until acked");

        session.AckPending();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the acks cleared the tracker");
        Assert.That(session.IsOpen, Is.True);

        await harness.StopAsync();
    }
}
