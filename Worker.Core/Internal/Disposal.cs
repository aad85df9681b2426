namespace Aion.Worker.Internal;

/// <summary>Disposes an object the worker created, whichever of the two dispose patterns it implements.</summary>
internal static class Disposal
{
    /// <summary>Awaits <see cref="IAsyncDisposable.DisposeAsync"/> when implemented, else calls <see cref="IDisposable.Dispose"/>; nothing for other objects.</summary>
    public static ValueTask DisposeAsync(object? instance)
    {
        switch (instance)
        {
            case IAsyncDisposable asyncDisposable:
                return asyncDisposable.DisposeAsync();
            case IDisposable disposable:
                disposable.Dispose();
                return ValueTask.CompletedTask;
            default:
                return ValueTask.CompletedTask;
        }
    }
}
