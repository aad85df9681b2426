using System.Collections.Concurrent;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Pipeline.Stages;

/// <summary>CONFORMANCE #42: stages users compose.</summary>
public sealed class StageConformanceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    [Test]
    public async Task C42_Inbound_stages_see_tasks_one_at_a_time_in_arrival_order_in_the_order_added()
    {
        var calls = new ConcurrentQueue<string>();
        var first = new RecordingStage("first", calls);
        var second = new RecordingStage("second", calls);
        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) => input)
                .ConfigurePipeline(p => p.AddInboundStage(first).AddInboundStage(_ => second)),
            o => o.MaxConcurrency = 4);
        await harness.StartAndRegisterAsync();

        var tasks = new[] { "t1", "t2", "t3", "t4" }.Select(i => harness.Engine.Dispatch("echo", i)).ToArray();
        await Task.WhenAll(tasks.Select(t => t.Result)).Within();

        Assert.That(calls, Is.EqualTo(new[] { "first:t1", "second:t1", "first:t2", "second:t2", "first:t3", "second:t3", "first:t4", "second:t4" }));
        Assert.That(first.MaxInside + second.MaxInside, Is.EqualTo(2), "one call at a time");
        await harness.StopAsync();
    }

    [Test]
    public async Task C42_A_held_task_stays_queued_blocks_the_tasks_behind_it_counts_toward_MaxQueuedTasks_and_is_heartbeated()
    {
        var gate = new BlockingActivity();
        var release = new TaskCompletionSource<InboundDecision>(TaskCreationOptions.RunContinuationsAsynchronously);
        var decided = new ConcurrentQueue<string>();
        var stage = new RecordingStage("hold", decided)
        {
            Decide = input => input == "held" ? new ValueTask<InboundDecision>(release.Task) : new(InboundDecision.Admit),
        };
        await using var harness = WorkerHarness.Create(
            b => gate.Register(b).ConfigurePipeline(p => p.AddInboundStage(stage)),
            o =>
            {
                o.MaxConcurrency = 4;
                o.MaxQueuedTasks = 2;
            },
            new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.FromMilliseconds(100) });
        var session = await harness.StartAndRegisterAsync();

        var held = harness.Engine.Dispatch(BlockingActivity.Type, "held", new DispatchOptions { WorkflowId = "wf-held" });
        var behind = harness.Engine.Dispatch(BlockingActivity.Type, "behind");
        var waiting = harness.Engine.Dispatch(BlockingActivity.Type, "waiting");
        var unread = harness.Engine.Dispatch(BlockingActivity.Type, "unread");

        // The held task and the one behind it fill MaxQueuedTasks (2): the read pump holds the third, the fourth stays unread.
        await Poll.UntilAsync(() => session.FramesUnreadByWorker == 1, "the queue holds reading at MaxQueuedTasks");
        await Poll.HoldsAsync(() => session.FramesUnreadByWorker == 1, "reading stays held");
        await Poll.HoldsAsync(() => !gate.HasStarted("behind") && !gate.HasStarted("held"), "nothing behind a held task starts");

        // The liveness pump beats for the held task.
        await harness.Time.WaitForAsync(() => harness.Time.ActiveTimers().Any(t => t.Period == Interval));
        harness.Time.Advance(Interval);
        await harness.Engine.WaitUntilAsync(() => session.Heartbeats.Any(h => h.WorkflowId == "wf-held" && !h.HasProgress)).Within();

        release.SetResult(InboundDecision.Admit);
        foreach (var input in new[] { "held", "behind", "waiting", "unread" })
        {
            await gate.WaitStartedAsync(input);
            gate.Release(input);
        }

        await Task.WhenAll(held.Result, behind.Result, waiting.Result, unread.Result).Within();
        Assert.That(decided, Is.EqualTo(new[] { "hold:held", "hold:behind", "hold:waiting", "hold:unread" }), "released in order");
        await harness.StopAsync();
    }

    [Test]
    public async Task C42_The_per_type_limit_starts_the_first_queued_task_whose_type_has_room()
    {
        var started = new ConcurrentQueue<string>();
        var gates = new ConcurrentDictionary<string, TaskCompletionSource>();
        TaskCompletionSource Gate(string input) => gates.GetOrAdd(input, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        async Task<string> RunAsync(string input, ActivityContext context)
        {
            started.Enqueue(input);
            await Gate(input).Task;
            return input;
        }

        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("slow", RunAsync).AddActivity<string, string>("fast", RunAsync)
                .ConfigurePipeline(p => p.AddConcurrencyLimit("slow", 1)),
            o => o.MaxConcurrency = 3);
        await harness.StartAndRegisterAsync();

        var slow1 = harness.Engine.Dispatch("slow", "slow1");
        await Poll.UntilAsync(() => started.Contains("slow1"), "the first slow task started");
        var slow2 = harness.Engine.Dispatch("slow", "slow2");
        var fast1 = harness.Engine.Dispatch("fast", "fast1");

        await Poll.UntilAsync(() => started.Contains("fast1"), "the fast task behind a full type started");
        await Poll.HoldsAsync(() => !started.Contains("slow2"), "the second slow task waits for its type's room");

        Gate("slow1").SetResult();
        await slow1.Result.Within();
        await Poll.UntilAsync(() => started.Contains("slow2"), "the second slow task starts when its type has room");
        Gate("slow2").SetResult();
        Gate("fast1").SetResult();
        await Task.WhenAll(slow2.Result, fast1.Result).Within();
        Assert.That(started, Is.EqualTo(new[] { "slow1", "fast1", "slow2" }));
        await harness.StopAsync();
    }

    [Test]
    public async Task C42_A_task_failed_by_a_stage_is_reported_with_the_stages_kind_and_message_and_tracked()
    {
        var ran = new ConcurrentQueue<string>();
        var stage = new RecordingStage("policy", new ConcurrentQueue<string>())
        {
            Decide = input => new(input switch
            {
                "forbidden" => InboundDecision.FailTerminal("tenant is not allowed"),
                "later" => InboundDecision.FailRetryable("tenant is over quota"),
                _ => InboundDecision.Admit,
            }),
        };
        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) =>
            {
                ran.Enqueue(input);
                return input;
            }).ConfigurePipeline(p => p.AddInboundStage(stage)),
            engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var session = await harness.StartAndRegisterAsync();

        var forbidden = harness.Engine.Dispatch("echo", "forbidden");
        var later = harness.Engine.Dispatch("echo", "later");
        var fine = harness.Engine.Dispatch("echo", "fine");
        var results = await Task.WhenAll(forbidden.Result, later.Result, fine.Result).Within();

        Assert.That(results[0].GetFailure(), Is.EqualTo(new ActivityFailure(ActivityErrorKind.Terminal, "tenant is not allowed", null)));
        Assert.That(results[1].GetFailure(), Is.EqualTo(new ActivityFailure(ActivityErrorKind.Retryable, "tenant is over quota", null)));
        Assert.That(results[2].OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(ran, Is.EqualTo(new[] { "fine" }), "a failed task never runs");
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(3), "tracked like any outcome");
        session.AckPending();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "acked like any outcome");
        await harness.StopAsync();
    }

    [Test]
    public async Task C42_An_outbound_transform_is_applied_once_even_when_the_result_is_replayed()
    {
        var stage = new BracketStage();
        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) => input).ConfigurePipeline(p => p.AddOutboundStage(_ => stage)),
            engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var first = await harness.StartAndRegisterAsync();

        var task = harness.Engine.Dispatch("echo", "secret");
        var result = await task.Result.Within();
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("[\"secret\"]"));

        // The ack is lost with the session: the next session replays the tracked (transformed) result.
        harness.Engine.AckMode = AckMode.Auto;
        first.Fail(new global::Grpc.Core.Status(global::Grpc.Core.StatusCode.Unavailable, "gone"));
        await new Sleeps(harness.Time).PassAsync(TimeSpan.FromMilliseconds(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Engine.WaitUntilAsync(() => second.Results.Count == 1).Within();

        Assert.That(second.Results[0].Result.Result.Bytes.ToStringUtf8(), Is.EqualTo("[\"secret\"]"), "replayed as transformed, never transformed twice");
        Assert.That(stage.Calls, Is.EqualTo(new[] { OutboundPayloadKind.Result }), "one transform");
        await harness.StopAsync();
    }

    [Test]
    public async Task C42_Session_middleware_sees_every_frame_both_ways()
    {
        var frames = new ConcurrentQueue<string>();
        var connections = new ConcurrentQueue<long>();
        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) => input).ConfigurePipeline(p => p.AddSessionMiddleware((context, session) =>
            {
                connections.Enqueue(context.ConnectionNumber);
                return new TapSession(session, frames);
            })));
        var session = await harness.StartAndRegisterAsync();
        await harness.Engine.Dispatch("echo", "x").Result.Within();
        await Poll.UntilAsync(() => frames.Contains("in:ResultAck"), "the ack went through the middleware");
        await harness.StopAsync();

        Assert.That(frames.Take(2), Is.EqualTo(new[] { "out:Register", "in:RegisterAck" }));
        Assert.That(frames, Does.Contain("in:Task").And.Contain("out:Result").And.Contain("in:ResultAck"));
        Assert.That(connections, Is.EqualTo(new[] { 1L }));
    }
}
