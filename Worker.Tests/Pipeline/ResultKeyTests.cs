using System.Reflection;
using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Tests.Pipeline;

/// <summary>The keys carry the hash computed when they are made; equality is hash, position, then the workflow id (same instance first, ordinal otherwise).</summary>
public sealed class ResultKeyTests
{
    private const string Workflow = "0b5e1d7c-4a3b-4c55-9a77-2f9a2b3c4d5e";

    // A copy of the id that is equal but not the same instance, as an ack parsed from the wire carries.
    private static string Copy(string value) => new(value.AsSpan());

    private static IEnumerable<TestCaseData> Pairs()
    {
        yield return new TestCaseData(Workflow, 7UL, Workflow, 7UL, true).SetName("same id instance, same position: equal");
        yield return new TestCaseData(Workflow, 7UL, Copy(Workflow), 7UL, true).SetName("equal id in another instance: equal");
        yield return new TestCaseData(Workflow, 7UL, Workflow, 8UL, false).SetName("another position: not equal");
        yield return new TestCaseData(Workflow, 7UL, Workflow.ToUpperInvariant(), 7UL, false).SetName("id differing in case: not equal (ordinal)");
        yield return new TestCaseData(Workflow, 7UL, Workflow[..^1], 7UL, false).SetName("id one character shorter: not equal");
        yield return new TestCaseData(string.Empty, 0UL, Copy(string.Empty), 0UL, true).SetName("empty id: equal");
    }

    [TestCaseSource(nameof(Pairs))]
    public void Equality_and_hash(string leftId, ulong leftPosition, string rightId, ulong rightPosition, bool equal)
    {
        var left = new ResultKey(leftId, leftPosition);
        var right = new ResultKey(rightId, rightPosition);
        Assert.That(left.Equals(right), Is.EqualTo(equal));
        Assert.That(right.Equals(left), Is.EqualTo(equal), "symmetric");
        Assert.That(left == right, Is.EqualTo(equal));
        Assert.That(left != right, Is.Not.EqualTo(equal));
        Assert.That(left.Equals((object)right), Is.EqualTo(equal));
        if (equal)
        {
            Assert.That(left.GetHashCode(), Is.EqualTo(right.GetHashCode()), "equal keys hash alike");
            Assert.That(left.CompareTo(right), Is.Zero);
        }
        else
        {
            Assert.That(left.CompareTo(right), Is.Not.Zero);
        }
    }

    [Test]
    public void A_hash_collision_falls_back_to_the_position_and_the_id()
    {
        var key = new ResultKey("wf-a", 1);
        var otherId = WithHash(new ResultKey("wf-b", 1), key.GetHashCode());
        var otherPosition = WithHash(new ResultKey("wf-a", 2), key.GetHashCode());

        Assert.That(otherId.GetHashCode(), Is.EqualTo(key.GetHashCode()));
        Assert.That(key, Is.Not.EqualTo(otherId), "same hash and position, another id");
        Assert.That(key, Is.Not.EqualTo(otherPosition), "same hash and id, another position");
    }

    [Test]
    public void The_hash_is_carried_not_recomputed()
    {
        var key = new ResultKey("wf-a", 1);
        var forged = WithHash(key, 12345);

        // Equality trusts the carried hash first: a key made once is never rehashed by a dictionary.
        Assert.That(forged.GetHashCode(), Is.EqualTo(12345));
        Assert.That(forged.Equals(key), Is.EqualTo(key.GetHashCode() == 12345));
    }

    private static IEnumerable<TestCaseData> ExecutionPairs()
    {
        yield return new TestCaseData(Copy(Workflow), 7UL, 1U, true).SetName("execution: equal id copy, same attempt: equal");
        yield return new TestCaseData(Workflow, 7UL, 2U, false).SetName("execution: another attempt: not equal");
        yield return new TestCaseData(Workflow, 6UL, 1U, false).SetName("execution: another position: not equal");
    }

    [TestCaseSource(nameof(ExecutionPairs))]
    public void Execution_key_equality_and_hash(string rightId, ulong rightPosition, uint rightAttempt, bool equal)
    {
        var left = new ExecutionKey(new ResultKey(Workflow, 7), 1);
        var right = new ExecutionKey(rightId, rightPosition, rightAttempt);
        Assert.That(left.Equals(right), Is.EqualTo(equal));
        Assert.That(left == right, Is.EqualTo(equal));
        if (equal)
        {
            Assert.That(left.GetHashCode(), Is.EqualTo(right.GetHashCode()));
        }

        Assert.That(left.ResultKey, Is.EqualTo(new ResultKey(Copy(left.WorkflowId), left.Position)), "the result key ignores the attempt");
    }

    [Test]
    public void An_ack_key_made_from_another_string_instance_finds_the_tracked_entry()
    {
        var tracker = new UnackedResultTracker();
        var entry = tracker.Record(new ResultKey(Workflow, 3), 1, new Protocol.WorkerToServer(), out _)!;
        tracker.BeginSession(1);
        tracker.MarkSent(entry, 1);

        Assert.That(tracker.TryAck(new ResultKey(Copy(Workflow), 3), 1), Is.EqualTo(AckOutcome.Removed));
        Assert.That(tracker.Count, Is.Zero);
    }

    private static ResultKey WithHash(ResultKey key, int hash)
    {
        object boxed = key;
        typeof(ResultKey).GetField("_hash", BindingFlags.Instance | BindingFlags.NonPublic)!.SetValue(boxed, hash);
        return (ResultKey)boxed;
    }
}
