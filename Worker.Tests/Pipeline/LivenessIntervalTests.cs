using Aion.Worker.Internal.Session;

namespace Aion.Worker.Tests.Pipeline;

public sealed class LivenessIntervalTests
{
    [TestCase(30_000, 7_500)]
    [TestCase(100, 25)]
    [TestCase(2, 1)]
    [TestCase(4, 1)]
    [TestCase(1, 1)]
    [TestCase(6, 1.5)]
    public void Liveness_interval_is_a_quarter_of_the_window_but_at_least_one_millisecond(double windowMs, double expectedMs)
    {
        var interval = LivenessPump.Interval(TimeSpan.FromMilliseconds(windowMs));

        Assert.That(interval, Is.EqualTo(TimeSpan.FromMilliseconds(expectedMs)));
    }

    [Test]
    public void Liveness_interval_is_computed_in_exact_ticks()
    {
        Assert.That(LivenessPump.Interval(TimeSpan.FromSeconds(30)).Ticks, Is.EqualTo(75_000_000));
        Assert.That(LivenessPump.Interval(TimeSpan.FromTicks(40_000_003)).Ticks, Is.EqualTo(10_000_000));
        Assert.That(LivenessPump.Interval(TimeSpan.FromTicks(40_003)).Ticks, Is.EqualTo(10_000));
        Assert.That(LivenessPump.Interval(TimeSpan.FromTicks(39_999)).Ticks, Is.EqualTo(TimeSpan.TicksPerMillisecond));
    }

    [Test]
    public void Liveness_interval_is_capped_at_the_timer_limit()
    {
        var limit = TimeSpan.FromMilliseconds(4_294_967_294d);

        Assert.That(LivenessPump.Interval(TimeSpan.MaxValue), Is.EqualTo(limit));
        Assert.That(LivenessPump.Interval(limit * 4), Is.EqualTo(limit));
        Assert.That(LivenessPump.Interval(limit * 2), Is.EqualTo(limit / 2));
    }
}
