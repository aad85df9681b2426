namespace Aion.Worker.Tests.Support;

/// <summary>Real-time safety bounds so a mistake fails fast instead of hanging CI.</summary>
public static class Bounds
{
    public static readonly TimeSpan Default = TimeSpan.FromSeconds(10);

    public static Task Within(this Task task, TimeSpan? bound = null) => task.WaitAsync(bound ?? Default);

    public static Task<T> Within<T>(this Task<T> task, TimeSpan? bound = null) => task.WaitAsync(bound ?? Default);

    public static CancellationToken Token(TimeSpan? bound = null) => new CancellationTokenSource(bound ?? Default).Token;

}
