using System.Threading.RateLimiting;

namespace Aion.Worker.Internal.Stages;

/// <summary>
/// A token bucket <see cref="RateLimiter"/> replenished by a <see cref="TimeProvider"/> timer: the
/// runtime's limiters measure elapsed time on the real clock (even when replenished by hand), so a
/// fake clock could not drive them. Waiters are served first come, first served.
/// </summary>
internal sealed class TokenBucketLimiter : ReplenishingRateLimiter
{
    private static readonly RateLimitLease Acquired = new Lease(true);
    private static readonly RateLimitLease Refused = new Lease(false);

    private readonly Lock _gate = new();
    private readonly Queue<Waiter> _waiters = new();
    private readonly TimeProvider _time;
    private readonly ITimer _timer;
    private readonly int _limit;
    private int _tokens;
    private long _fullSince;
    private bool _disposed;

    public TokenBucketLimiter(int limit, TimeSpan period, TimeProvider time)
    {
        _limit = limit;
        _tokens = limit;
        _time = time;
        _fullSince = time.GetTimestamp();
        ReplenishmentPeriod = period;
        _timer = time.CreateTimer(static state => ((TokenBucketLimiter)state!).Replenish(), this, period, period);
    }

    public override TimeSpan ReplenishmentPeriod { get; }

    public override bool IsAutoReplenishing => true;

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_gate)
            {
                return _tokens >= _limit ? _time.GetElapsedTime(_fullSince) : null;
            }
        }
    }

    public override bool TryReplenish() => false;

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            return new RateLimiterStatistics { CurrentAvailablePermits = _tokens, CurrentQueuedCount = _waiters.Count };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _limit);
        lock (_gate)
        {
            return TryTake(permitCount) ? Acquired : Refused;
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _limit);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (TryTake(permitCount))
            {
                return new(Acquired);
            }

            var waiter = new Waiter(permitCount);
            waiter.Cancellation = cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Completion.TrySetCanceled(), waiter);
            _waiters.Enqueue(waiter);
            return new(waiter.Completion.Task);
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (!disposing)
        {
            return;
        }

        _timer.Dispose();
        lock (_gate)
        {
            _disposed = true;
            while (_waiters.TryDequeue(out var waiter))
            {
                waiter.Cancellation.Dispose();
                waiter.Completion.TrySetResult(Refused);
            }
        }
    }

    private bool TryTake(int permits)
    {
        // Waiters go first: a later caller never overtakes them.
        if (_waiters.Count > 0 || _tokens < permits || (permits == 0 && _tokens == 0))
        {
            return false;
        }

        _tokens -= permits;
        return true;
    }

    private void Replenish()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _tokens = _limit;
            while (_waiters.TryPeek(out var waiter))
            {
                if (waiter.Completion.Task.IsCompleted)
                {
                    _waiters.Dequeue();
                    continue;
                }

                if (_tokens < waiter.Permits)
                {
                    break;
                }

                _waiters.Dequeue();
                waiter.Cancellation.Dispose();
                if (waiter.Completion.TrySetResult(Acquired))
                {
                    _tokens -= waiter.Permits;
                }
            }

            if (_tokens >= _limit)
            {
                _fullSince = _time.GetTimestamp();
            }
        }
    }

    private sealed class Waiter(int permits)
    {
        public int Permits { get; } = permits;

        public TaskCompletionSource<RateLimitLease> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Cancellation { get; set; }
    }

    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
