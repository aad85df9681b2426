using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Grpc;

/// <summary>Drops over the real gRPC transport: a killed stream and a restarted server.</summary>
public sealed class GrpcReconnectTests
{
    [Test]
    public async Task A_stream_killed_mid_flight_reconnects_on_a_new_connection_and_replays_the_unacked_result()
    {
        var acks = false;
        await using var harness = await GrpcHarness.CreateAsync(builder => builder.AddActivity<int, int>("test.double", (value, _) => value * 2));
        harness.Engine.RedispatchLostTasks = false;
        harness.Engine.AckFilter = _ => Volatile.Read(ref acks);
        var first = await harness.StartAndRegisterAsync();

        var task = harness.Engine.Dispatch("test.double", 21);
        await task.Result.Within();
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(1), "the engine dropped the ack");
        Volatile.Write(ref acks, true);
        harness.Host.AbortCalls();

        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Engine.WaitUntilAsync(() => harness.Engine.Results.Count == 2).Within();
        await GrpcHarness.WaitUntilAsync(() => harness.Worker.UnackedResults == 0);

        var results = harness.Engine.Results;
        Assert.That(results[0].Session, Is.SameAs(first));
        Assert.That(results[1].Session, Is.SameAs(second));
        Assert.That(results[1].Acked, Is.True);
        Assert.That(results[1].Result.Result.Bytes.ToStringUtf8(), Is.EqualTo("42"));
        Assert.That(second.WorkerId, Is.Not.EqualTo(first.WorkerId));
        Assert.That(harness.Host.RequestHeaders, Has.Count.EqualTo(2));
        Assert.That(harness.Run!.IsCompleted, Is.False, "a retryable drop does not end the run");
        await harness.StopAsync();
    }

    [Test]
    public async Task A_result_computed_while_the_server_is_down_survives_a_restart_on_the_same_port()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await GrpcHarness.CreateAsync(
            builder => builder.AddActivity<int, int>("test.blocking", async (value, _) =>
            {
                await release.Task;
                return value + 1;
            }),
            options =>
            {
                options.Reconnect.MaxAttempts = 100;
                options.Reconnect.MaxBackoff = TimeSpan.FromMilliseconds(50);
            });
        harness.Engine.RedispatchLostTasks = false;
        var first = await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("test.blocking", 41);
        await GrpcHarness.WaitUntilAsync(() => harness.Worker.RunningActivities == 1);
        var port = harness.Host.Port;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await harness.Host.StopAsync();
        var stopped = clock.Elapsed;
        release.SetResult();
        await GrpcHarness.WaitUntilAsync(() => harness.Worker.UnackedResults == 1 && harness.Worker.RunningActivities == 0);
        await harness.Host.RestartAsync();
        var restarted = clock.Elapsed;
        var result = await task.Result.Within();
        TestContext.Progress.WriteLine($"stop {stopped.TotalMilliseconds:F0} ms, restart done at {restarted.TotalMilliseconds:F0} ms ({harness.Host.BindRetries} bind retries), result at {clock.Elapsed.TotalMilliseconds:F0} ms");

        Assert.That(harness.Host.Port, Is.EqualTo(port));
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("42"));
        var received = harness.Engine.Results.Single();
        Assert.That(received.Session, Is.Not.SameAs(first));
        Assert.That(received.Acked, Is.True);
        await GrpcHarness.WaitUntilAsync(() => harness.Worker.UnackedResults == 0);
        Assert.That(harness.Run!.IsCompleted, Is.False);

        // The point is the result surviving the restart. Now and then the restarted Kestrel resets
        // the new stream (HTTP/2 INTERNAL_ERROR) right after this; shutdown during the reconnect
        // then rightly fails with that drop's error, so the run is settled, not asserted, here.
    }
}
