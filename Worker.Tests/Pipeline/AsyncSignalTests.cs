using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Pipeline;

public sealed class AsyncSignalTests
{
    [Test]
    public void Set_before_wait_completes_the_next_wait_at_once()
    {
        var signal = new AsyncSignal();

        signal.Set();

        Assert.That(signal.WaitAsync().IsCompleted, Is.True);
    }

    [Test]
    public void Wait_without_set_stays_pending()
    {
        Assert.That(new AsyncSignal().WaitAsync().IsCompleted, Is.False);
    }

    [Test]
    public async Task Set_wakes_a_pending_wait()
    {
        var signal = new AsyncSignal();
        var wait = signal.WaitAsync();

        signal.Set();

        await wait.AsTask().Within();
        Assert.That(signal.WaitAsync().IsCompleted, Is.False, "the set was consumed by the waiter");
    }

    [Test]
    public void Signal_resets_after_one_wait()
    {
        var signal = new AsyncSignal();
        signal.Set();
        signal.Set();

        Assert.That(signal.WaitAsync().IsCompleted, Is.True);
        Assert.That(signal.WaitAsync().IsCompleted, Is.False, "sets do not accumulate");
    }

    [Test]
    [CancelAfter(20_000)]
    public async Task No_wake_up_is_lost_between_a_check_and_a_wait()
    {
        const int producers = 4;
        const int perProducer = 5_000;
        var signal = new AsyncSignal();
        var produced = 0;

        // The consumer is already waiting when the producers start. Otherwise the producers may all
        // finish before the consumer first checks, and it rightly never waits (0 wake-ups): the race
        // between a check and a wait would go untested, and a bound of 1 would fail for no bug.
        var firstWait = signal.WaitAsync();
        Assert.That(firstWait.IsCompleted, Is.False);
        var consumer = Task.Run(async () =>
        {
            await firstWait;
            var wakeUps = 1;
            while (Volatile.Read(ref produced) < producers * perProducer)
            {
                await signal.WaitAsync();
                wakeUps++;
            }

            return wakeUps;
        });
        var producing = Enumerable.Range(0, producers).Select(_ => Task.Run(() =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                Interlocked.Increment(ref produced);
                signal.Set();
            }
        })).ToArray();

        await Task.WhenAll(producing).Within();

        // A lost wake-up leaves the consumer waiting after the last Set: it would never finish.
        var wakeUps = await consumer.Within();

        Assert.That(wakeUps, Is.InRange(1, producers * perProducer));
    }
}
