namespace Aion.Worker.Tests.Support;

/// <summary>Bounded real-time polling for state that raises no event (e.g. the worker's counters).</summary>
public static class Poll
{
    /// <summary>Waits until <paramref name="condition"/> holds, checking every millisecond, failing after the default bound.</summary>
    public static async Task UntilAsync(Func<bool> condition, string what = "the condition")
    {
        using var bound = new CancellationTokenSource(Bounds.Default);
        while (!condition())
        {
            try
            {
                await Task.Delay(1, bound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting for {what}.");
            }
        }
    }

    /// <summary>Waits until the worker serves its <paramref name="sessionId"/>-th session (registered, its connected time running).</summary>
    public static Task WaitForServingAsync(this AionWorker worker, long sessionId) =>
        UntilAsync(() => worker.Runtime.CurrentSession?.Id == sessionId, $"the worker to serve session {sessionId}");
}
