using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Pipeline;

public sealed class SendDeadlineTests
{
    [Test]
    public async Task A_send_the_transport_never_completes_fails_after_SendTimeout_with_a_retryable_error()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b), o => o.SendTimeout = TimeSpan.FromMilliseconds(15));
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();

        harness.Engine.RedispatchLostTasks = false;
        session.StallWorkerSends = true;
        var task = harness.Engine.Dispatch(BlockingActivity.Type, "stuck");
        gate.Release("stuck");

        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(15));
        harness.Time.Advance(TimeSpan.FromMilliseconds(14));
        await Poll.HoldsAsync(() => sessions.Ended.Count == 0, "the send is pending until its deadline", TimeSpan.FromMilliseconds(50));
        harness.Time.Advance(TimeSpan.FromMilliseconds(1));

        var end = await sessions.WaitForEndAsync();
        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.Error, Is.TypeOf<AionWorkerException>());
        Assert.That(end.Error!.Kind, Is.EqualTo(AionErrorKind.SendTimeout));
        Assert.That(end.Error.IsRetryable, Is.True);
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(1), "the unsent result stays tracked");
        await session.Completion.Within();

        // Nothing hangs: the worker redials and the replay delivers the result.
        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(5));
        harness.Time.Advance(TimeSpan.FromMilliseconds(5));
        var result = await task.Result.Within();
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"stuck\""));
        Assert.That(harness.Engine.Sessions.Count(s => s.IsAccepted), Is.EqualTo(2));

        await harness.StopAsync();
    }
}
