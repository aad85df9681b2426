using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Protocol;

namespace Aion.Worker.Tests.Pipeline;

public sealed class UnackedResultTrackerTests
{
    private static readonly ResultKey KeyA3 = new("wf-a", 3);

    private static WorkerToServer Outcome(ResultKey key, string message) => new()
    {
        Result = new ActivityResult
        {
            WorkflowId = new WorkflowId { Uuid = key.WorkflowId },
            ActivityId = new ActivityId { SequencePosition = key.Position },
            Error = new ActivityError { Kind = ActivityErrorKind.Retryable, Message = message },
        },
    };

    private static TrackedResult Record(UnackedResultTracker tracker, ResultKey key, uint attempt, string message = "x")
    {
        var entry = tracker.Record(key, attempt, Outcome(key, message), out var kept);
        Assert.That(entry, Is.Not.Null);
        Assert.That(kept, Is.EqualTo(attempt));
        return entry!;
    }

    [Test]
    public void Same_attempt_outcome_replaces_the_tracked_one()
    {
        var tracker = new UnackedResultTracker();
        Record(tracker, KeyA3, 2, "first");

        var second = Record(tracker, KeyA3, 2, "second");

        Assert.That(tracker.Count, Is.EqualTo(1));
        Assert.That(tracker.Snapshot().Single(), Is.SameAs(second));
    }

    [Test]
    public void Higher_attempt_outcome_replaces_the_tracked_one()
    {
        var tracker = new UnackedResultTracker();
        Record(tracker, KeyA3, 1, "old");

        var newer = Record(tracker, KeyA3, 2, "new");

        Assert.That(tracker.Snapshot().Single(), Is.SameAs(newer));
        Assert.That(tracker.Snapshot().Single().Attempt, Is.EqualTo(2));
    }

    [Test]
    public void Lower_attempt_outcome_never_replaces_a_higher_one()
    {
        var tracker = new UnackedResultTracker();
        var higher = Record(tracker, KeyA3, 5, "attempt 5");

        var lower = tracker.Record(KeyA3, 4, Outcome(KeyA3, "attempt 4"), out var kept);

        Assert.That(lower, Is.Null);
        Assert.That(kept, Is.EqualTo(5));
        Assert.That(tracker.Count, Is.EqualTo(1));
        Assert.That(tracker.Snapshot().Single(), Is.SameAs(higher));
        Assert.That(tracker.Snapshot().Single().Frame.Result.Error.Message, Is.EqualTo("attempt 5"));
    }

    [Test]
    public void Same_position_in_two_workflows_is_two_entries()
    {
        var tracker = new UnackedResultTracker();
        Record(tracker, new ResultKey("wf-a", 3), 1);
        Record(tracker, new ResultKey("wf-b", 3), 1);

        Assert.That(tracker.Count, Is.EqualTo(2));
    }

    [Test]
    public void Ack_removes_the_entry_sent_on_the_acking_session()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var entry = Record(tracker, KeyA3, 1);
        Record(tracker, new ResultKey("wf-b", 3), 1);
        Assert.That(tracker.MarkSent(entry, 1), Is.True);

        var outcome = tracker.TryAck(KeyA3, 1);

        Assert.That(outcome, Is.EqualTo(AckOutcome.Removed));
        Assert.That(tracker.Snapshot().Select(e => e.ResultKey), Is.EqualTo(new[] { new ResultKey("wf-b", 3) }), "only its own entry is removed");
    }

    [Test]
    public void Ack_on_another_session_than_the_send_keeps_the_entry()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var entry = Record(tracker, KeyA3, 1);
        tracker.MarkSent(entry, 1);
        tracker.BeginSession(2);

        Assert.That(tracker.TryAck(KeyA3, 2), Is.EqualTo(AckOutcome.NotSentOnThisSession));
        Assert.That(tracker.Count, Is.EqualTo(1));
        Assert.That(tracker.NeedsSending(entry, 2), Is.True, "it is replayed on the new session");
    }

    [Test]
    public void Ack_for_an_entry_never_sent_keeps_it()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        Record(tracker, KeyA3, 1);

        Assert.That(tracker.TryAck(KeyA3, 1), Is.EqualTo(AckOutcome.NotSentOnThisSession));
        Assert.That(tracker.Count, Is.EqualTo(1));
    }

    [Test]
    public void Ack_after_the_sent_outcome_was_replaced_keeps_the_newer_unsent_outcome()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var old = Record(tracker, KeyA3, 1, "attempt 1");
        tracker.MarkSent(old, 1);
        var newer = Record(tracker, KeyA3, 2, "attempt 2");

        Assert.That(tracker.TryAck(KeyA3, 1), Is.EqualTo(AckOutcome.NotSentOnThisSession));
        Assert.That(tracker.Snapshot().Single(), Is.SameAs(newer));
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.Zero, "the replaced outcome no longer waits for an ack");
    }

    [Test]
    public void Unknown_ack_is_ignored()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var entry = Record(tracker, KeyA3, 1);
        tracker.MarkSent(entry, 1);

        Assert.That(tracker.TryAck(new ResultKey("wf-a", 4), 1), Is.EqualTo(AckOutcome.Unknown));
        Assert.That(tracker.TryAck(new ResultKey("wf-z", 3), 1), Is.EqualTo(AckOutcome.Unknown));
        Assert.That(tracker.Count, Is.EqualTo(1));
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.EqualTo(1));
    }

    [Test]
    public void Second_ack_for_a_removed_entry_is_unknown()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var entry = Record(tracker, KeyA3, 1);
        tracker.MarkSent(entry, 1);
        tracker.TryAck(KeyA3, 1);

        Assert.That(tracker.TryAck(KeyA3, 1), Is.EqualTo(AckOutcome.Unknown));
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.Zero);
    }

    [Test]
    public void Snapshot_is_ordered_by_workflow_id_then_position()
    {
        var tracker = new UnackedResultTracker();
        Record(tracker, new ResultKey("wf-b", 1), 1);
        Record(tracker, new ResultKey("wf-a", 10), 1);
        Record(tracker, new ResultKey("wf-a", 9), 1);
        Record(tracker, new ResultKey("WF-c", 5), 1);
        Record(tracker, new ResultKey("wf-a", 2), 1);

        var order = tracker.Snapshot().Select(e => e.ResultKey.ToString());

        Assert.That(order, Is.EqualTo(new[] { "WF-c/5", "wf-a/2", "wf-a/9", "wf-a/10", "wf-b/1" }));
    }

    [Test]
    public void Snapshot_does_not_remove_entries()
    {
        var tracker = new UnackedResultTracker();
        Record(tracker, KeyA3, 1);

        tracker.Snapshot();

        Assert.That(tracker.Snapshot(), Has.Length.EqualTo(1));
    }

    [Test]
    public void Replaced_entry_is_neither_sent_nor_marked_sent()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var old = Record(tracker, KeyA3, 1);
        var newer = Record(tracker, KeyA3, 2);

        Assert.That(tracker.NeedsSending(old, 1), Is.False);
        Assert.That(tracker.MarkSent(old, 1), Is.False);
        Assert.That(tracker.NeedsSending(newer, 1), Is.True);
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.Zero);
    }

    [Test]
    public void Entry_sent_on_a_session_needs_no_second_send_there()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var entry = Record(tracker, KeyA3, 1);
        tracker.MarkSent(entry, 1);

        Assert.That(tracker.NeedsSending(entry, 1), Is.False);
        Assert.That(tracker.MarkSent(entry, 1), Is.True);
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.EqualTo(1), "a repeated send is counted once");
    }

    [Test]
    public void Awaiting_ack_count_follows_sends_and_acks_of_the_current_session()
    {
        var tracker = new UnackedResultTracker();
        tracker.BeginSession(1);
        var a = Record(tracker, new ResultKey("wf-a", 1), 1);
        var b = Record(tracker, new ResultKey("wf-b", 1), 1);
        tracker.MarkSent(a, 1);
        tracker.MarkSent(b, 1);
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.EqualTo(2));

        tracker.TryAck(a.ResultKey, 1);
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.EqualTo(1));

        tracker.BeginSession(2);
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.Zero, "a new session starts counting afresh");
        tracker.MarkSent(b, 2);
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.EqualTo(1));
        tracker.TryAck(b.ResultKey, 2);
        Assert.That(tracker.AwaitingAckOnCurrentSession, Is.Zero);
        Assert.That(tracker.Count, Is.Zero);
    }
}
