namespace Aion.Worker.Tests.Support;

/// <summary>Real-time safety bounds so a mistake fails fast instead of hanging CI.</summary>
public static class Bounds
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    public static Task Within(this Task task, TimeSpan? bound = null) => task.WaitAsync(bound ?? Default);

    public static Task<T> Within<T>(this Task<T> task, TimeSpan? bound = null) => task.WaitAsync(bound ?? Default);

    public static CancellationToken Token(TimeSpan? bound = null) => new CancellationTokenSource(bound ?? Default).Token;

    /// <summary>Waits (real time, bounded) until <paramref name="condition"/> holds, for state no engine event announces.</summary>
    public static async Task UntilAsync(Func<bool> condition, TimeSpan? bound = null)
    {
        using var limit = new CancellationTokenSource(bound ?? Default);
        while (!condition())
        {
            try
            {
                await Task.Delay(2, limit.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException("The awaited condition never held.");
            }
        }
    }
}

/// <summary>Waits for state the test cannot be notified of (polls; never used to prove a timing rule).</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, TimeSpan? bound = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (bound ?? Bounds.Default);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"The condition did not hold in time{(because is null ? "" : ": " + because)}.");
            }

            await Task.Delay(1);
        }
    }
}
