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

    [Test]
    public void Many_waits_reuse_one_source_and_allocate_nothing()
    {
        var signal = new AsyncSignal();
        for (var i = 0; i < 10; i++)
        {
            Cycle(signal);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1_000; i++)
        {
            Cycle(signal);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero, "a pending wait, its Set and its result reuse the signal's one source");

        static void Cycle(AsyncSignal signal)
        {
            var wait = signal.WaitAsync();
            if (wait.IsCompleted)
            {
                throw new AssertionException("the wait was expected to pend");
            }

            signal.Set();
            if (!wait.IsCompleted)
            {
                throw new AssertionException("Set did not complete the pending wait");
            }

            wait.GetAwaiter().GetResult();
        }
    }

    [Test]
    public async Task Many_awaited_waits_in_a_row_each_wake_once()
    {
        var signal = new AsyncSignal();
        for (var i = 0; i < 200; i++)
        {
            var wait = signal.WaitAsync();
            var setter = Task.Run(signal.Set);
            await wait.AsTask().Within();
            await setter.Within();
        }

        Assert.That(signal.WaitAsync().IsCompleted, Is.False, "every Set was consumed by its wait");
    }

    [Test]
    public void A_second_pending_wait_is_refused()
    {
        var signal = new AsyncSignal();
        _ = signal.WaitAsync();

        Assert.That(() => signal.WaitAsync(), Throws.InvalidOperationException);
    }

    [Test]
    public async Task A_cancelled_wait_throws_and_the_next_set_is_kept_for_the_next_wait()
    {
        var signal = new AsyncSignal();
        using var cancel = new CancellationTokenSource();
        var wait = signal.WaitAsync(cancel.Token);

        await cancel.CancelAsync();

        Assert.That(async () => await wait, Throws.InstanceOf<OperationCanceledException>());
        signal.Set();
        Assert.That(signal.WaitAsync().IsCompleted, Is.True, "the Set after the abandoned wait is not lost");
    }

    [Test]
    public void A_set_wins_over_an_already_cancelled_token()
    {
        var signal = new AsyncSignal();
        signal.Set();

        Assert.That(signal.WaitAsync(new CancellationToken(canceled: true)).IsCompletedSuccessfully, Is.True);
        Assert.That(signal.WaitAsync(new CancellationToken(canceled: true)).IsCanceled, Is.True, "without a Set, a cancelled token ends the wait at once");
    }

    [Test]
    public async Task A_set_wakes_a_cancellable_wait_and_its_registration_is_removed()
    {
        var signal = new AsyncSignal();
        using var cancel = new CancellationTokenSource();
        var wait = signal.WaitAsync(cancel.Token);

        signal.Set();
        await wait.AsTask().Within();
        await cancel.CancelAsync();

        Assert.That(signal.WaitAsync().IsCompleted, Is.False, "the late cancellation neither signals nor breaks the next wait");
        signal.Set();
    }
}
