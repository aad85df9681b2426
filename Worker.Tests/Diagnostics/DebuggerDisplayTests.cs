using System.Diagnostics;
using System.Reflection;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Diagnostics;

/// <summary>The debugger shows the worker, its session, an execution and the tracker by state, counts and ids.</summary>
public sealed class DebuggerDisplayTests
{
    [Test]
    public async Task Worker_session_execution_and_tracker_show_their_state_counts_and_ids()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(builder => gate.Register(builder), engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        await harness.StartAndRegisterAsync();
        var done = harness.Engine.Dispatch(BlockingActivity.Type, "done");
        gate.Release("done");
        await done.Result.Within();
        harness.Engine.Dispatch(BlockingActivity.Type, "running", new DispatchOptions { WorkflowId = "0aaaaaaa-0000-4000-8000-000000000001", Position = 7 });
        await gate.WaitStartedAsync("running");
        var runtime = harness.Worker.Runtime;
        await Poll.UntilAsync(() => runtime.Tracker.AwaitingAckOnCurrentSession == 1 && runtime.InFlight.RunningExecutions().Count == 1 && harness.Worker.RunningActivities == 1, "the first result counts as sent and only the second activity runs");

        Assert.That(Display(harness.Worker), Does.StartWith(harness.Worker.Options.Identity + ": Registered as worker").And.EndWith("; 1 running, 1 unacked"));
        var session = runtime.Pipeline!.Attached!;
        Assert.That(Display(session), Is.EqualTo($"Session {session.Id}, worker {session.Registration.WorkerId} in 'default': serving"));
        var execution = runtime.InFlight.RunningExecutions().Single();
        Assert.That(Display(execution), Is.EqualTo($"{BlockingActivity.Type} 0aaaaaaa-0000-4000-8000-000000000001/7 attempt 1: running, session {session.Id}"));
        Assert.That(Display(runtime.Tracker), Is.EqualTo($"1 unacked; session {session.Id}: 1 sent and awaiting ack"));
        gate.ReleaseAll();
    }

    private static string Display(object target)
    {
        var type = target.GetType();
        Assert.That(type.GetCustomAttribute<DebuggerDisplayAttribute>()?.Value, Is.EqualTo("{DebuggerDisplay,nq}"), type.Name);
        return (string)type.GetProperty("DebuggerDisplay", BindingFlags.Instance | BindingFlags.NonPublic)!.GetValue(target)!;
    }
}
