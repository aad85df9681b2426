namespace Aion.Worker.Tests.Support;

/// <summary>Bounded real-time polling of state that raises no event (worker counters, logs).</summary>
public static class Poll
{
    /// <summary>Waits until <paramref name="condition"/> holds, checking every millisecond; fails after the safety bound.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what = "the condition", TimeSpan? bound = null)
    {
        using var limit = new CancellationTokenSource(bound ?? Bounds.Default);
        while (!condition())
        {
            try
            {
                await Task.Delay(1, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting until {what}.");
            }
        }
    }

    /// <summary>
    /// Checks that <paramref name="condition"/> keeps holding for a short real-time window: a negative
    /// check that gives the code under test every chance to break it (it proves no timing rule).
    /// </summary>
    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? window = null)
    {
        var span = window ?? TimeSpan.FromMilliseconds(100);
        var watch = System.Diagnostics.Stopwatch.StartNew();
        while (watch.Elapsed < span)
        {
            Assert.That(condition(), Is.True, what);
            await Task.Delay(1, CancellationToken.None).ConfigureAwait(false);
        }

        Assert.That(condition(), Is.True, what);
    }

    /// <summary>Waits until the worker serves its <paramref name="sessionId"/>-th session (registered, its connected time running).</summary>
    public static Task WaitForServingAsync(this AionWorker worker, long sessionId) =>
        UntilAsync(() => worker.Runtime.CurrentSession?.Id == sessionId, $"the worker to serve session {sessionId}");
}
