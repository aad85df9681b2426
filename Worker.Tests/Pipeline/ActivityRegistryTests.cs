using Aion.Worker.Internal.Activities;

namespace Aion.Worker.Tests.Pipeline;

public sealed class ActivityRegistryTests
{
    [TestCase("a", "b", -1)]
    [TestCase("b", "a", 1)]
    [TestCase("same", "same", 0)]
    [TestCase("ab", "abc", -1)]
    [TestCase("", "a", -1)]
    [TestCase("Z", "a", -1)]
    [TestCase("z", "é", -1)]
    [TestCase("\uFF5E", "\U0001F600", -1)]
    [TestCase("\U0001F600", "\uFF5E", 1)]
    [TestCase("\uE000", "\U00010000", -1)]
    [TestCase("x\uFFFD", "x\U0001F680", -1)]
    public void CompareUtf8_orders_by_the_utf8_bytes_of_the_names(string left, string right, int expectedSign)
    {
        Assert.That(Math.Sign(ActivityRegistry.CompareUtf8(left, right)), Is.EqualTo(expectedSign));
    }

    [Test]
    public void CompareUtf8_differs_from_utf16_ordinal_order_above_the_surrogates()
    {
        Assert.That(string.CompareOrdinal("\uFF5E", "\U0001F600"), Is.Positive);
        Assert.That(ActivityRegistry.CompareUtf8("\uFF5E", "\U0001F600"), Is.Negative);
    }

    [Test]
    public void Sorted_types_follow_utf8_order_and_snapshot_is_independent()
    {
        var registry = new ActivityRegistry();
        var invoker = new SyncDelegateInvoker<int, int>((input, _) => input, ActivityPayloads<int, int>.Create(options: null));
        registry.Add("\U0001F600", invoker);
        registry.Add("\uFF5E", invoker);
        registry.Add("b", invoker);
        var snapshot = registry.Snapshot();
        registry.Add("a", invoker);

        Assert.That(registry.SortedTypes(), Is.EqualTo(new[] { "a", "b", "\uFF5E", "\U0001F600" }));
        Assert.That(snapshot.SortedTypes(), Is.EqualTo(new[] { "b", "\uFF5E", "\U0001F600" }));
        Assert.That(snapshot.TryGet("a", out _), Is.False);
        Assert.That(snapshot.TryGet("b", out var found), Is.True);
        Assert.That(found, Is.SameAs(invoker));
    }
}
