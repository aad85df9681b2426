using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Protocol;

namespace Aion.Worker.Tests.Pipeline;

public sealed class TrackerAckRulesTests
{
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
    public void Same_or_higher_attempt_replaces_the_tracked_outcome()
    {
        var tracker = new UnackedResultTracker();
        var key = new ResultKey("wf", 3);

        var first = tracker.Record(key, 1, Frame("wf", 3, "attempt 1"), out _);
        var same = tracker.Record(key, 1, Frame("wf", 3, "attempt 1 again"), out _);
        var higher = tracker.Record(key, 2, Frame("wf", 3, "attempt 2"), out var kept);

        Assert.That(first, Is.Not.Null);
        Assert.That(same, Is.Not.Null.And.Not.SameAs(first));
        Assert.That(higher, Is.Not.Null);
        Assert.That(kept, Is.EqualTo(2));
        Assert.That(tracker.Count, Is.EqualTo(1));
        Assert.That(tracker.Snapshot().Single().Frame.Result.Error.Message, Is.EqualTo("attempt 2"));
    }

    [Test]
    public void Lower_attempt_never_replaces_a_higher_one()
    {
        var tracker = new UnackedResultTracker();
        var key = new ResultKey("wf", 3);
        tracker.Record(key, 4, Frame("wf", 3, "attempt 4"), out _);

        var lower = tracker.Record(key, 2, Frame("wf", 3, "attempt 2"), out var kept);

        Assert.That(lower, Is.Null);
        Assert.That(kept, Is.EqualTo(4));
        Assert.That(tracker.Snapshot().Single().Attempt, Is.EqualTo(4));
    }

    [Test]
    public void Same_position_in_two_workflows_is_two_entries_replayed_by_workflow_then_position()
    {
        var tracker = new UnackedResultTracker();
        tracker.Record(new ResultKey("wf-b", 1), 1, Frame("wf-b", 1, "b1"), out _);
        tracker.Record(new ResultKey("wf-a", 2), 1, Frame("wf-a", 2, "a2"), out _);
        tracker.Record(new ResultKey("wf-a", 1), 1, Frame("wf-a", 1, "a1"), out _);

        Assert.That(tracker.Count, Is.EqualTo(3));
        Assert.That(tracker.Snapshot().Select(e => e.ResultKey.ToString()), Is.EqualTo(new[] { "wf-a/1", "wf-a/2", "wf-b/1" }));
    }

    [Test]
    public void Ack_removes_exactly_its_entry_only_when_sent_on_the_acking_session()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var a = tracker.Record(new ResultKey("wf-a", 1), 1, Frame("wf-a", 1, "a"), out _)!;
        var b = tracker.Record(new ResultKey("wf-b", 1), 1, Frame("wf-b", 1, "b"), out _)!;
        Assert.That(tracker.MarkSent(a, 1), Is.True);
        Assert.That(tracker.MarkSent(b, 1), Is.True);
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.EqualTo(2));

        // Session 2 begins: session 1's sends no longer count, so an ack there cannot remove them.
        tracker.BeginSession(2);
        Assert.That(tracker.TryAck(new ResultKey("wf-a", 1), 2), Is.EqualTo(AckOutcome.NotSentOnThisSession));
        Assert.That(tracker.Count, Is.EqualTo(2));

        Assert.That(tracker.NeedsSending(a, 2), Is.True);
        tracker.MarkSent(a, 2);
        Assert.That(tracker.NeedsSending(a, 2), Is.False);
        Assert.That(tracker.TryAck(new ResultKey("wf-a", 1), 2), Is.EqualTo(AckOutcome.Removed));
        Assert.That(tracker.Snapshot().Select(e => e.ResultKey), Is.EqualTo(new[] { new ResultKey("wf-b", 1) }));
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.Zero);
    }

    [Test]
    public void Ack_of_an_outcome_replaced_after_sending_leaves_the_new_outcome_tracked()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var key = new ResultKey("wf", 1);
        var old = tracker.Record(key, 1, Frame("wf", 1, "attempt 1"), out _)!;
        tracker.MarkSent(old, 1);
        var replacement = tracker.Record(key, 2, Frame("wf", 1, "attempt 2"), out _)!;

        Assert.That(tracker.MarkSent(old, 1), Is.False, "a replaced entry is never marked sent");
        Assert.That(tracker.TryAck(key, 1), Is.EqualTo(AckOutcome.NotSentOnThisSession));
        Assert.That(tracker.Snapshot().Single(), Is.SameAs(replacement));
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.Zero);
    }

    [Test]
    public void Unknown_ack_is_ignored()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var entry = tracker.Record(new ResultKey("wf", 1), 1, Frame("wf", 1, "x"), out _)!;
        tracker.MarkSent(entry, 1);

        Assert.That(tracker.TryAck(new ResultKey("wf", 2), 1), Is.EqualTo(AckOutcome.Unknown));
        Assert.That(tracker.TryAck(new ResultKey("other", 1), 1), Is.EqualTo(AckOutcome.Unknown));
        Assert.That(tracker.Count, Is.EqualTo(1));
    }
}
