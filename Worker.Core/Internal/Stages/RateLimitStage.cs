using System.Collections.Concurrent;
using System.Threading.RateLimiting;
using Aion.Worker.Pipeline;

namespace Aion.Worker.Internal.Stages;

/// <summary>
/// The built-in rate limit: one <see cref="RateLimiter"/> for every limited task, or one per
/// activity type. A task takes a permit when it reaches the head of the queue; while none is left
/// it is held (the limiter's queue) until one is granted. The lease is released at once: the limit
/// is on starts, not on running activities (that is the per-type concurrency limit).
/// </summary>
internal sealed class RateLimitStage : IInboundStage, IDisposable
{
    private readonly HashSet<string>? _types;
    private readonly RateLimiter? _global;
    private readonly Func<string, RateLimiter>? _perType;
    private readonly ConcurrentDictionary<string, RateLimiter> _byType = new(StringComparer.Ordinal);

    public RateLimitStage(RateLimiter global, HashSet<string>? types)
    {
        _global = global;
        _types = types;
    }

    public RateLimitStage(Func<string, RateLimiter> perType, HashSet<string>? types)
    {
        _perType = perType;
        _types = types;
    }

    public ValueTask<InboundDecision> OnTaskAsync(InboundTaskContext task, CancellationToken cancellationToken)
    {
        if (_types is not null && !_types.Contains(task.ActivityType))
        {
            return new(InboundDecision.Admit);
        }

        var limiter = _global ?? _byType.GetOrAdd(task.ActivityType, _perType!);
        using (var lease = limiter.AttemptAcquire(1))
        {
            if (lease.IsAcquired)
            {
                return new(InboundDecision.Admit);
            }
        }

        return WaitForPermitAsync(limiter, cancellationToken);
    }

    public void Dispose()
    {
        _global?.Dispose();
        foreach (var limiter in _byType.Values)
        {
            limiter.Dispose();
        }
    }

    private static async ValueTask<InboundDecision> WaitForPermitAsync(RateLimiter limiter, CancellationToken cancellationToken)
    {
        using var lease = await limiter.AcquireAsync(1, cancellationToken).ConfigureAwait(false);
        return lease.IsAcquired
            ? InboundDecision.Admit
            : InboundDecision.FailRetryable("The worker's rate limiter refused a permit (its queue is full).");
    }
}
