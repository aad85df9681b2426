using System.Text;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Google.Protobuf;

namespace Aion.Worker.Tests.Grpc;

/// <summary>Serving over the real gRPC transport: payload limits, drain, and a server that stops reading.</summary>
public sealed class GrpcServingTests
{
    private const int OneMiB = 1024 * 1024;

    private static Payload Json(string json) => new() { ContentType = "application/json", Bytes = ByteString.CopyFrom(json, Encoding.UTF8) };

    private static string JsonString(int length) => "\"" + new string('x', length) + "\"";

    [Test]
    public async Task A_one_MiB_payload_round_trips_unchanged()
    {
        await using var harness = await GrpcHarness.CreateAsync(builder => builder.AddActivity<Payload, Payload>("test.echo", (input, _) => input));
        await harness.StartAndRegisterAsync();
        var input = Json(JsonString(OneMiB));

        var result = await harness.Engine.Dispatch("test.echo", input).Result.Within();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(result.Result.Bytes.Length, Is.EqualTo(OneMiB + 2));
        Assert.That(result.Result.Bytes, Is.EqualTo(input.Bytes));
        await harness.StopAsync();
    }

    [Test]
    public async Task A_result_over_the_send_limit_is_reported_terminal_too_large_and_the_session_stays_up()
    {
        await using var harness = await GrpcHarness.CreateAsync(builder => builder
            .AddActivity<int, string>("test.big", (length, _) => new string('y', length)));
        var session = await harness.StartAndRegisterAsync();

        var tooLarge = await harness.Engine.Dispatch("test.big", 5 * OneMiB).Result.Within();
        var small = await harness.Engine.Dispatch("test.big", 10).Result.Within();

        Assert.That(tooLarge.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Error));
        Assert.That(tooLarge.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(tooLarge.Error.Message, Does.Contain("too large"));
        Assert.That(small.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"yyyyyyyyyy\""));
        Assert.That(harness.Engine.AcceptedSessions, Has.Count.EqualTo(1));
        Assert.That(session.IsOpen, Is.True);
        await harness.StopAsync();
    }

    [Test]
    public async Task A_task_over_the_receive_limit_is_a_retryable_decode_error_and_earlier_results_are_kept()
    {
        await using var harness = await GrpcHarness.CreateAsync(
            builder => builder.AddActivity<Payload, Payload>("test.echo", (input, _) => input),
            options => options.Reconnect.MaxAttempts = 1,
            transport => transport.MaxReceiveMessageSize = 64 * 1024);
        harness.Engine.RedispatchLostTasks = false;
        await harness.StartAndRegisterAsync();
        var first = await harness.Engine.Dispatch("test.echo", Json("1")).Result.Within();

        var oversized = harness.Engine.Dispatch("test.echo", Json(JsonString(100 * 1024)));
        var error = await harness.RunFailureAsync();

        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(error.StatusCode, Is.EqualTo(global::Grpc.Core.StatusCode.ResourceExhausted));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(first.Result.Bytes.ToStringUtf8(), Is.EqualTo("1"));
        Assert.That(harness.Engine.Results.Single().Acked, Is.True);
        Assert.That(oversized.IsCompleted, Is.False, "the oversized task was never run: the engine fails it as lost");
    }

    [Test]
    public async Task Drain_reports_results_on_the_draining_stream_then_redials_and_gets_a_new_worker_id()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = await GrpcHarness.CreateAsync(builder => builder
            .AddActivity<int, int>("test.blocking", async (value, _) =>
            {
                await release.Task;
                return value;
            }));
        var first = await harness.StartAndRegisterAsync();
        var running = harness.Engine.Dispatch("test.blocking", 1);
        var queued = harness.Engine.Dispatch("test.blocking", 2);
        var queuedToo = harness.Engine.Dispatch("test.blocking", 3);
        await GrpcHarness.WaitUntilAsync(() => harness.Worker.RunningActivities == 2);

        first.Drain();
        release.SetResult();
        var results = await Task.WhenAll(running.Result, queued.Result, queuedToo.Result).Within();
        var second = await harness.Engine.WaitForSessionAsync(2).Within();

        Assert.That(results.Select(r => r.Result.Bytes.ToStringUtf8()), Is.EquivalentTo(new[] { "1", "2", "3" }));
        Assert.That(harness.Engine.Results.Select(r => r.Session.Number), Is.All.EqualTo(first.Number));
        await first.Completion.Within();
        Assert.That(first.WorkerClosed, Is.True, "the worker closed the draining stream");
        Assert.That(second.WorkerId, Is.Not.EqualTo(first.WorkerId));
        Assert.That(second.Registration, Is.Not.Null);
        await harness.StopAsync();
    }

    [Test]
    public async Task A_server_that_stops_reading_makes_the_send_deadline_fire_with_a_retryable_send_timeout()
    {
        var time = new TestTime();
        var sendTimeout = TimeSpan.FromSeconds(3);
        var finished = 0;
        PausableEngineStream? engineStream = null;
        await using var harness = await GrpcHarness.CreateAsync(
            builder => builder.AddActivity<int, string>("test.big", (length, _) =>
            {
                Interlocked.Increment(ref finished);
                return new string('z', length);
            }),
            options =>
            {
                options.MaxConcurrency = 4;
                options.SendTimeout = sendTimeout;
                options.RegisterTimeout = TimeSpan.FromSeconds(7);
                options.Reconnect.MaxAttempts = 1;
            },
            time: time,
            engineOptions: new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.Zero },
            kestrel: kestrel =>
            {
                kestrel.Limits.Http2.InitialStreamWindowSize = 65_535;
                kestrel.Limits.Http2.InitialConnectionWindowSize = 65_535;
            });
        harness.Host.WrapStream = stream => engineStream = new PausableEngineStream(stream);
        await harness.StartAndRegisterAsync();

        engineStream!.Pause();
        for (var i = 0; i < 6; i++)
        {
            harness.Engine.Dispatch("test.big", 60 * 1024);
        }

        // Every result is computed and tracked; the sender is stuck behind HTTP/2 flow control.
        await GrpcHarness.WaitUntilAsync(() => Volatile.Read(ref finished) == 6 && harness.Worker.RunningActivities == 0);
        Assert.That(harness.Run!.IsCompleted, Is.False);
        // Advance only once a send is pending under its deadline timer; a send that was merely slow
        // completes and the next stuck one creates its own timer, caught on the next round.
        for (var round = 0; round < 20 && !harness.Run.IsCompleted; round++)
        {
            var pendingSend = time.WaitForTimerAsync(sendTimeout);
            if (await Task.WhenAny(harness.Run, pendingSend).Within() == pendingSend)
            {
                time.Advance(sendTimeout, TimeSpan.FromMilliseconds(50));
            }
        }

        var error = await harness.RunFailureAsync();
        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.SendTimeout));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(harness.Engine.Results.Count, Is.LessThan(6));
    }
}
