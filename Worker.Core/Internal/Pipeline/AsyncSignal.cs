using System.Threading.Tasks.Sources;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// An auto-reset wake-up for one consumer: <see cref="Set"/> wakes the pending <see cref="WaitAsync"/>,
/// or the next one if nobody waits. The consumer checks its condition, then waits; a
/// <see cref="Set"/> in between is never lost. Allocation-free: every wait reuses one
/// <see cref="IValueTaskSource"/> (the consumer awaits each wait before it starts the next).
/// </summary>
internal sealed class AsyncSignal : IValueTaskSource
{
    private readonly Lock _gate = new();

    // Continuations run on the thread pool, never inside Set (a producer holding a lock, a read pump).
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private bool _signaled;
    private bool _waiting;
    private CancellationToken _waitToken;
    private CancellationTokenRegistration _registration;

    /// <summary>Wakes the pending wait, or the next one.</summary>
    public void Set()
    {
        CancellationTokenRegistration registration;
        lock (_gate)
        {
            if (!_waiting)
            {
                _signaled = true;
                return;
            }

            _waiting = false;
            registration = TakeRegistration();

            // Under the lock, so a wait can never reset the source between the two (the continuation is queued, not run here).
            _core.SetResult(true);
        }

        // Not Dispose: a cancellation callback running now must not be waited for (it finds no wait and returns).
        registration.Unregister();
    }

    /// <summary>
    /// Completes at once when a <see cref="Set"/> came since the last wait, else at the next one; throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires first (the
    /// wait is abandoned: a later <see cref="Set"/> is kept for the next wait).
    /// </summary>
    /// <exception cref="InvalidOperationException">A wait is already pending (one consumer only).</exception>
    public ValueTask WaitAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_signaled)
            {
                _signaled = false;
                return default;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                return ValueTask.FromCanceled(cancellationToken);
            }

            if (_waiting)
            {
                throw new InvalidOperationException("An AsyncSignal has one consumer: a wait is already pending.");
            }

            // The previous wait was awaited (its result read): its source can be reused.
            _core.Reset();
            _waiting = true;
            if (cancellationToken.CanBeCanceled)
            {
                _waitToken = cancellationToken;
                _registration = cancellationToken.UnsafeRegister(static (state, token) => ((AsyncSignal)state!).Cancel(token), this);
            }

            return new ValueTask(this, _core.Version);
        }
    }

    private void Cancel(CancellationToken token)
    {
        lock (_gate)
        {
            // A callback of an earlier wait on the same token: that token fired, so this wait ends too.
            if (!_waiting || _waitToken != token)
            {
                return;
            }

            _waiting = false;
            _waitToken = default;
            _registration = default;
            _core.SetException(new OperationCanceledException(token));
        }
    }

    private CancellationTokenRegistration TakeRegistration()
    {
        var registration = _registration;
        _registration = default;
        _waitToken = default;
        return registration;
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
