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
