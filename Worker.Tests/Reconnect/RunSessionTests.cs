using Aion.Worker.Tests.Support;
using Aion.Worker.Transport;
using Aion.Worker.Transport.InMemory;
using static Aion.Worker.Tests.Support.ReconnectKit;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Reconnect;

/// <summary><see cref="AionWorker.RunSessionAsync"/>: a run of one already-open session, whose tracked results carry over to the next call.</summary>
public sealed class RunSessionTests
{
    private static readonly WorkerSessionMetadata Metadata = new(["default"], "worker", null);

    [Test]
    public async Task An_activity_still_running_when_a_call_ends_is_tracked_and_its_result_replayed_on_the_next_call()
    {
        var gate = new BlockingActivity();
        var engine = new InMemoryEngine { RedispatchLostTasks = false };
        var options = WorkerHarness.DefaultOptions();
        options.RegisterTimeout = TimeSpan.FromSeconds(5);
        options.SendTimeout = TimeSpan.FromSeconds(5);
        var worker = gate.Register(AionWorker.CreateBuilder(options)).UseLoggerFactory(TestLogs.Factory(new FakeLogCollector())).Build();
        var transport = engine.CreateTransport();

        var firstCall = worker.RunSessionAsync(await transport.ConnectAsync(Metadata, CancellationToken.None));
        var first = await engine.WaitForSessionAsync(1).Within();
        var task = engine.Dispatch(BlockingActivity.Type, "outlives its call");
        await gate.WaitStartedAsync("outlives its call");
        first.Fail(Unavailable("gone"));
        var firstEnd = await firstCall.Within();
        Assert.That(firstEnd.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(worker.RunningActivities, Is.EqualTo(1), "the activity keeps running after its call returned");

        gate.Release("outlives its call");
        await Poll.UntilAsync(() => worker.RunningActivities == 0 && worker.UnackedResults == 1, "its result is tracked between calls");

        using var shutdown = new CancellationTokenSource();
        var secondCall = worker.RunSessionAsync(await transport.ConnectAsync(Metadata, CancellationToken.None), shutdown.Token);
        var second = await engine.WaitForSessionAsync(2).Within();
        var result = await task.Result.Within();
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"outlives its call\""));
        Assert.That(second.Results.Single().WorkflowId, Is.EqualTo(task.WorkflowId), "replayed on the next call's session");
        await Poll.UntilAsync(() => worker.UnackedResults == 0, "the replay was acked");

        shutdown.Cancel();
        Assert.That((await secondCall.Within()).Kind, Is.EqualTo(SessionEndKind.Shutdown));
        engine.Stop();
    }
}
