using Aion.Worker.Internal.Reconnect;

namespace Aion.Worker.Tests.Pipeline;

public sealed class BackoffTests
{
    private static Backoff Controller(TimeSpan initial, TimeSpan max, double jitter = 0)
    {
        var options = new AionWorkerOptions
        {
            TaskQueue = "tests",
            Identity = "backoff-worker",
            MaxConcurrency = 1,
            Reconnect = new ReconnectOptions { InitialBackoff = initial, MaxBackoff = max, MaxAttempts = 3, Jitter = jitter },
        };
        return AionWorker.CreateBuilder(options).AddActivity<int, int>("noop", (input, _) => input).Build().Controller.Backoff;
    }

    private static TimeSpan Ms(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds);

    [Test]
    public void Backoff_doubles_from_initial_and_caps_at_max()
    {
        var controller = Controller(Ms(5), Ms(20));

        var delays = Enumerable.Range(1, 4).Select(controller.Delay);

        Assert.That(delays, Is.EqualTo(new[] { Ms(5), Ms(10), Ms(20), Ms(20) }));
    }

    [Test]
    public void Backoff_caps_a_doubling_that_overshoots_max()
    {
        var controller = Controller(Ms(30), Ms(100));

        var delays = Enumerable.Range(1, 4).Select(controller.Delay);

        Assert.That(delays, Is.EqualTo(new[] { Ms(30), Ms(60), Ms(100), Ms(100) }));
    }

    [Test]
    public void Initial_backoff_above_max_is_capped_at_max()
    {
        Assert.That(Controller(Ms(50), Ms(20)).Delay(1), Is.EqualTo(Ms(20)));
    }

    [TestCase(64)]
    [TestCase(1_000)]
    [TestCase(int.MaxValue)]
    public void Backoff_saturates_at_max_for_huge_attempt_numbers(int n)
    {
        var limit = TimeSpan.FromMilliseconds(4_294_967_294d);
        var controller = Controller(TimeSpan.FromTicks(1), limit);

        Assert.That(controller.Delay(n), Is.EqualTo(limit));
    }

    [Test]
    public void Backoff_saturates_without_overflow_when_both_bounds_are_at_the_timer_limit()
    {
        var limit = TimeSpan.FromMilliseconds(4_294_967_294d);
        var controller = Controller(limit, limit);

        Assert.That(controller.Delay(int.MaxValue), Is.EqualTo(limit));
    }

    [TestCase(0.0, 20.0)]
    [TestCase(0.5, 15.0)]
    [TestCase(0.999999, 10.00001)]
    public void Jitter_takes_off_at_most_its_fraction(double random, double expectedMs)
    {
        var controller = Controller(Ms(5), Ms(20), jitter: 0.5);
        controller.NextRandom = () => random;

        var delay = controller.Delay(3);

        Assert.That(delay.TotalMilliseconds, Is.EqualTo(expectedMs).Within(0.0001));
        Assert.That(delay, Is.InRange(Ms(10), Ms(20)));
    }

    [Test]
    public void Jitter_stays_within_bounds_for_every_attempt()
    {
        var controller = Controller(Ms(5), Ms(20), jitter: 0.2);
        var draws = new Queue<double>([0.0, 0.25, 0.5, 0.75, 0.9999]);
        controller.NextRandom = () => draws.Count > 0 ? draws.Dequeue() : 0.5;
        var plain = Controller(Ms(5), Ms(20));

        for (var n = 1; n <= 5; n++)
        {
            var full = plain.Delay(n);
            var jittered = controller.Delay(n);
            Assert.That(jittered, Is.InRange(full * 0.8, full), $"attempt {n}");
        }
    }

    [Test]
    public void No_jitter_by_default_never_draws_a_random_number()
    {
        var controller = Controller(Ms(5), Ms(20));
        controller.NextRandom = () => throw new AssertionException("no random draw expected");

        Assert.That(controller.Delay(2), Is.EqualTo(Ms(10)));
    }
}
