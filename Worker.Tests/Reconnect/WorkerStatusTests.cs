using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Reconnect;

/// <summary>AionWorker.Status: the public snapshot health checks read (fake clock, in-memory engine).</summary>
public sealed class WorkerStatusTests
{
    private static Task UntilState(AionWorker worker, AionWorkerState state, Func<AionWorkerStatus, bool>? and = null) =>
        Poll.UntilAsync(() => worker.Status.State == state && (and?.Invoke(worker.Status) ?? true), $"the worker to be {state}");

    [Test]
    public async Task Status_follows_the_run_from_connecting_to_registered_to_reconnecting_and_back_then_stopped()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var start = harness.Time.GetUtcNow();
        var sleeps = new Sleeps(harness.Time);
        Assert.That(harness.Worker.Status, Is.EqualTo(new AionWorkerStatus(AionWorkerState.NotStarted, 0, null, null, start)));

        harness.Engine.Script(ConnectionScript.FailConnect(Unavailable("engine not up yet")));
        harness.Start();
        await UntilState(harness.Worker, AionWorkerState.Connecting, s => s.LastError is not null);
        var connecting = harness.Worker.Status;
        Assert.That(connecting.LastError, Is.TypeOf<AionWorkerException>().With.Property(nameof(AionWorkerException.StatusDetail)).EqualTo("engine not up yet"));
        Assert.That(connecting.ConsecutiveDrops, Is.Zero);
        Assert.That(connecting.Registration, Is.Null);
        Assert.That(connecting.Since, Is.EqualTo(start));

        await sleeps.PassAsync(Ms(5));
        var first = await harness.Engine.WaitForSessionAsync(1).Within();
        await UntilState(harness.Worker, AionWorkerState.Registered);
        var registered = harness.Worker.Status;
        Assert.That(registered.Registration!.WorkerId, Is.EqualTo(first.WorkerId));
        Assert.That(registered.LastError, Is.Null);
        Assert.That(registered.Since, Is.EqualTo(start + Ms(5)), "entered on the fake clock after the 5 ms backoff");
        Assert.That(registered.ToString(), Does.StartWith($"Registered as worker {first.WorkerId} in 'default'"));

        await harness.Worker.WaitForServingAsync(1);
        first.Fail(Unavailable("flap"));
        await UntilState(harness.Worker, AionWorkerState.Reconnecting);
        var reconnecting = harness.Worker.Status;
        Assert.That(reconnecting.ConsecutiveDrops, Is.EqualTo(1));
        Assert.That(reconnecting.LastError, Is.TypeOf<AionWorkerException>().With.Property(nameof(AionWorkerException.StatusDetail)).EqualTo("flap"));
        Assert.That(reconnecting.Registration, Is.Null);
        Assert.That(reconnecting.ToString(), Does.Contain("Reconnecting").And.Contain("(1 drop)").And.EndWith("flap"));

        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await UntilState(harness.Worker, AionWorkerState.Registered, s => s.Registration?.WorkerId == second.WorkerId);
        Assert.That(harness.Worker.Status.ConsecutiveDrops, Is.EqualTo(1), "registering does not reset the drop counter; a healthy session end does");
        Assert.That(harness.Worker.Status.LastError, Is.Null);

        await harness.StopAsync();
        Assert.That(harness.Worker.Status.State, Is.EqualTo(AionWorkerState.Stopped));
        Assert.That(harness.Worker.Status.LastError, Is.Null);
        Assert.That(harness.Worker.Status.Registration, Is.Null);
    }

    [Test]
    public async Task Failed_reconnect_attempts_update_the_last_error_while_reconnecting()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions(maxAttempts: 5));
        var sleeps = new Sleeps(harness.Time);
        var session = await harness.StartAndRegisterAsync();
        await harness.Worker.WaitForServingAsync(1);
        harness.Engine.Script(ConnectionScript.FailConnect(Unavailable("redial refused")));

        session.Fail(Unavailable("dropped"));
        await UntilState(harness.Worker, AionWorkerState.Reconnecting);
        await sleeps.PassAsync(Ms(5));
        await Poll.UntilAsync(() => harness.Worker.Status.LastError?.Message.Contains("redial refused", StringComparison.Ordinal) == true, "the redial's error");

        Assert.That(harness.Worker.Status.State, Is.EqualTo(AionWorkerState.Reconnecting));
        Assert.That(harness.Worker.Status.ConsecutiveDrops, Is.EqualTo(1));
    }

    [Test]
    public async Task A_failed_run_is_Failed_with_its_error()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var session = await harness.StartAndRegisterAsync();
        await harness.Worker.WaitForServingAsync(1);

        session.Fail(Denied("namespace revoked"));
        var error = await harness.RunFailureAsync();

        var status = harness.Worker.Status;
        Assert.That(status.State, Is.EqualTo(AionWorkerState.Failed));
        Assert.That(status.LastError, Is.SameAs(error));
        Assert.That(((AionWorkerException)status.LastError!).StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(status.ToString(), Does.StartWith("Failed since").And.EndWith(error.Message));
    }

    [Test]
    public async Task Shutdown_is_Stopping_while_activities_finish_then_Stopped()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<string, string>("hold", async (input, _) =>
        {
            await release.Task;
            return input;
        }));
        await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("hold", "x");
        await Poll.UntilAsync(() => harness.Worker.RunningActivities == 1, "the activity to run");

        harness.Shutdown();
        await UntilState(harness.Worker, AionWorkerState.Stopping);
        await Poll.HoldsAsync(() => harness.Worker.Status.State == AionWorkerState.Stopping, "stays Stopping while the activity runs");
        release.SetResult();
        await task.Result.Within();
        await harness.Run!.Within();

        Assert.That(harness.Worker.Status.State, Is.EqualTo(AionWorkerState.Stopped));
    }
}
