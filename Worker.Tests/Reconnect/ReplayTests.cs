using System.Collections.Concurrent;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using static Aion.Worker.Tests.Support.ReconnectKit;

namespace Aion.Worker.Tests.Reconnect;

/// <summary>CONFORMANCE #29–#30: unacked results are replayed on the next session, before any new task starts.</summary>
public sealed class ReplayTests
{
    private const string WorkflowA = "0aaaaaaa-0000-4000-8000-000000000001";
    private const string WorkflowB = "0bbbbbbb-0000-4000-8000-000000000002";
    private const string WorkflowC = "0ccccccc-0000-4000-8000-000000000003";

    [Test]
    public async Task Result_whose_send_failed_is_replayed_on_the_next_session_before_any_new_task_starts()
    {
        var order = new ConcurrentQueue<string>();
        var hooked = new SendHook();
        await using var harness = WorkerHarness.Create(
            builder => hooked.Install(builder.AddActivity<string, string>("echo", (input, context) =>
            {
                order.Enqueue($"start {context.WorkflowId}");
                return input;
            })),
            options =>
            {
                WorkerOptions()(options);
                options.SendTimeout = Ms(40);
            });
        hooked.OnSend = (session, frame) =>
        {
            if (frame.MessageCase == WorkerToServer.MessageOneofCase.Result)
            {
                order.Enqueue($"send {session} {frame.Result.WorkflowId.Uuid}");
            }

            return null;
        };
        var recorder = new SessionRecorder(harness.Worker);
        harness.Engine.RedispatchLostTasks = false;
        harness.Engine.Script(ConnectionScript.Accept(), ConnectionScript.Accept(), ConnectionScript.Refuse(Denied("namespace revoked")));
        var sleeps = new Sleeps(harness.Time);

        var first = await harness.StartAndRegisterAsync();
        first.StallWorkerSends = true;
        var lost = harness.Engine.Dispatch("echo", "one", new DispatchOptions { WorkflowId = WorkflowA, Position = 1 });
        await sleeps.PassAsync(Ms(40));
        var firstEnd = await recorder.WaitForEndAsync(1);
        Assert.That(firstEnd.End.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(firstEnd.End.Error!.Kind, Is.EqualTo(AionErrorKind.SendTimeout));
        Assert.That(first.Results, Is.Empty, "the send never reached the engine");
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(1), "the unsent result stays tracked");

        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        var next = harness.Engine.Dispatch("echo", "two", new DispatchOptions { WorkflowId = WorkflowB, Position = 1 });
        await next.Result.Within();
        var replayed = await lost.Result.Within();

        Assert.That(replayed.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"one\""));
        Assert.That(second.Results.Select(r => r.WorkflowId), Is.EqualTo(new[] { WorkflowA, WorkflowB }));
        var log = order.ToList();
        Assert.That(log.IndexOf($"send 2 {WorkflowA}"), Is.GreaterThanOrEqualTo(0).And.LessThan(log.IndexOf($"start {WorkflowB}")), string.Join(" | ", log));

        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the replay to be acked");
        second.End();
        var secondEnd = await recorder.WaitForEndAsync(2);
        Assert.That(secondEnd.End.Kind, Is.EqualTo(SessionEndKind.CleanClose));
        await sleeps.PassAsync(Ms(5));

        var error = await harness.RunFailureAsync();
        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(error.StatusDetail, Is.EqualTo("namespace revoked"));
        Assert.That(harness.Engine.ConnectAttempts, Is.EqualTo(3));
    }

    [Test]
    public async Task Unacked_results_of_two_workflows_at_the_same_position_are_both_replayed_in_workflow_order()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var sleeps = new Sleeps(harness.Time);
        harness.Engine.AckMode = AckMode.Withhold;
        var first = await harness.StartAndRegisterAsync();

        var b = harness.Engine.Dispatch("echo", "b", new DispatchOptions { WorkflowId = WorkflowB, Position = 3 });
        var a = harness.Engine.Dispatch("echo", "a", new DispatchOptions { WorkflowId = WorkflowA, Position = 3 });
        await Task.WhenAll(a.Result, b.Result).Within();
        Assert.That(harness.Worker.UnackedResults, Is.EqualTo(2));

        harness.Engine.AckMode = AckMode.Auto;
        first.Fail(Unavailable("engine restarting"));
        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await harness.Engine.WaitUntilAsync(() => second.Results.Count >= 2, Bounds.Token());

        Assert.That(second.Results.Select(r => (r.WorkflowId, r.Position)), Is.EqualTo(new[] { (WorkflowA, 3UL), (WorkflowB, 3UL) }));
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "both replays to be acked");
        await harness.StopAsync();
    }

    [Test]
    public async Task Acked_entries_are_not_replayed_and_once_all_are_acked_a_later_replay_sends_nothing()
    {
        await using var harness = WorkerHarness.Create(Echo, WorkerOptions());
        var sleeps = new Sleeps(harness.Time);
        harness.Engine.AckMode = AckMode.Withhold;
        var first = await harness.StartAndRegisterAsync();

        var a = harness.Engine.Dispatch("echo", "a", new DispatchOptions { WorkflowId = WorkflowA, Position = 1 });
        var b = harness.Engine.Dispatch("echo", "b", new DispatchOptions { WorkflowId = WorkflowB, Position = 1 });
        await Task.WhenAll(a.Result, b.Result).Within();
        first.Ack(WorkflowA, 1);
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 1, "the ack of A");

        harness.Engine.AckMode = AckMode.Auto;
        first.Fail(Unavailable("lost 1"));
        await sleeps.PassAsync(Ms(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        await Poll.UntilAsync(() => harness.Worker.UnackedResults == 0, "the replay of B to be acked");
        Assert.That(second.Results.Select(r => r.WorkflowId), Is.EqualTo(new[] { WorkflowB }), "A was acked: only B is replayed");

        await harness.Worker.WaitForServingAsync(2);
        second.Fail(Unavailable("lost 2"));
        await sleeps.PassAsync(Ms(10));
        var third = await harness.Engine.WaitForSessionAsync(3).Within();
        var c = harness.Engine.Dispatch("echo", "c", new DispatchOptions { WorkflowId = WorkflowC, Position = 1 });
        await c.Result.Within();

        // The replay precedes every new task, so had it sent anything it would be here first.
        Assert.That(third.Results.Select(r => r.WorkflowId), Is.EqualTo(new[] { WorkflowC }));
        Assert.That(harness.Logs.GetSnapshot().Where(e => e.Id.Id == 9).Select(e => e.GetStructuredStateValue("Count")), Is.EqualTo(new[] { "1" }), "one replay, of one entry");
        await harness.StopAsync();
    }
}
