namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// An auto-reset wake-up for one consumer: <see cref="Set"/> wakes the pending <see cref="WaitAsync"/>,
/// or the next one if nobody waits. The consumer checks its condition, then waits; a
/// <see cref="Set"/> in between is never lost. Allocates only when the consumer actually waits.
/// </summary>
internal sealed class AsyncSignal
{
    private readonly Lock _gate = new();
    private TaskCompletionSource? _waiter;
    private bool _signaled;

    public void Set()
    {
        TaskCompletionSource? waiter;
        lock (_gate)
        {
            waiter = _waiter;
            if (waiter is null)
            {
                _signaled = true;
                return;
            }

            _waiter = null;
        }

        waiter.TrySetResult();
    }

    public Task WaitAsync()
    {
        lock (_gate)
        {
            if (_signaled)
            {
                _signaled = false;
                return Task.CompletedTask;
            }

            _waiter ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _waiter.Task;
        }
    }
}
