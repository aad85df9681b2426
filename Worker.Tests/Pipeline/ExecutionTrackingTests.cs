using Aion.Worker.Internal;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aion.Worker.Tests.Pipeline;

/// <summary>The execution is its own tracked result: one object per task, every tracker rule kept, the task (and input) dropped when the slot is freed.</summary>
public sealed class ExecutionTrackingTests
{
    private static readonly WorkerRegistration Registration = new(0, "default", TimeSpan.FromSeconds(30));

    private static ActivityExecution Execution(string workflowId, ulong position, uint attempt)
    {
        var task = TestTasks.Blocking(workflowId, position, attempt, "input");
        return new ActivityExecution(null!, task, new ExecutionKey(workflowId, position, attempt), invoker: null, Registration, sessionId: 1);
    }

    private static WorkerToServer Frame(string workflowId, ulong position, string marker) => new()
    {
        Result = new ActivityResult
        {
            WorkflowId = new WorkflowId { Uuid = workflowId },
            ActivityId = new ActivityId { SequencePosition = position },
            Error = new ActivityError { Kind = ActivityErrorKind.Retryable, Message = marker },
        },
    };

    [Test]
    public void The_execution_is_the_tracked_entry()
    {
        var tracker = new UnackedResultTracker();
        var execution = Execution("wf", 1, 1);
        var frame = Frame("wf", 1, "done");

        Assert.That(tracker.Record(execution, frame, out var kept), Is.True);

        Assert.That(kept, Is.EqualTo(1));
        Assert.That(tracker.Snapshot().Single(), Is.SameAs(execution));
        Assert.That(execution.Frame, Is.SameAs(frame));
        Assert.That(tracker.Bytes, Is.EqualTo(frame.CalculateSize()), "the byte bound counts the result frame only");
    }

    [Test]
    public void A_lower_attempt_execution_never_replaces_a_higher_one_and_counts_carry_over()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var first = Execution("wf", 1, 1);
        tracker.Record(first, Frame("wf", 1, "attempt 1"), out _);
        tracker.MarkSent(first, 1);
        var second = Execution("wf", 1, 2);
        var lower = Execution("wf", 1, 1);

        Assert.That(tracker.Record(second, Frame("wf", 1, "attempt 2"), out _), Is.True);
        Assert.That(tracker.Record(lower, Frame("wf", 1, "late attempt 1"), out var kept), Is.False);

        Assert.That(kept, Is.EqualTo(2));
        Assert.That(tracker.Snapshot().Single(), Is.SameAs(second));
        Assert.That(second.SendsOnCountedSession, Is.EqualTo(1), "the key's send count on the session carries over");
        tracker.MarkSent(second, 1);
        Assert.That(tracker.TryAck(second.ResultKey, 1), Is.EqualTo(AckOutcome.NotSentOnThisSession), "the first ack answers attempt 1's send");
        Assert.That(tracker.TryAck(second.ResultKey, 1), Is.EqualTo(AckOutcome.Removed));
    }

    [Test]
    public void An_entry_is_recorded_once()
    {
        var tracker = new UnackedResultTracker();
        var execution = Execution("wf", 1, 1);
        tracker.Record(execution, Frame("wf", 1, "x"), out _);

        Assert.That(() => tracker.Record(execution, Frame("wf", 1, "y"), out _), Throws.InvalidOperationException);
        Assert.That(tracker.Snapshot().Single().Frame.Result.Error.Message, Is.EqualTo("x"));
    }

    [Test]
    public void Freeing_the_slot_drops_the_task_but_keeps_the_outcome_and_its_identity()
    {
        var table = new InFlightTable(new WorkerLog(NullLogger.Instance));
        var tracker = new UnackedResultTracker();
        var execution = Execution("wf", 4, 2);
        Assert.That(table.TryAdmit(execution), Is.True);
        Assert.That(table.TryStart(execution), Is.True);
        var frame = Frame("wf", 4, "done");
        tracker.Record(execution, frame, out _);

        table.Release(execution);

        Assert.That(() => execution.Task, Throws.InvalidOperationException, "the input is not kept alive until the ack");
        Assert.That(execution.Frame, Is.SameAs(frame));
        Assert.That(execution.Key, Is.EqualTo(new ExecutionKey("wf", 4, 2)));
        Assert.That(execution.ActivityType, Is.EqualTo(BlockingActivity.Type));
        Assert.That(execution.ToString(), Does.Contain("wf").And.Contain(BlockingActivity.Type));
        Assert.That(tracker.Snapshot().Single(), Is.SameAs(execution));
    }
}
