namespace Aion.Worker.Internal.Reconnect;

/// <summary>backoff(n) = min(InitialBackoff × 2^(n−1), MaxBackoff), saturating, then the optional jitter (off by default).</summary>
internal sealed class Backoff(TimeSpan initial, TimeSpan max, double jitter)
{
    /// <summary>Random source for jitter, in [0, 1); replaceable in tests.</summary>
    public Func<double> NextRandom { get; set; } = Random.Shared.NextDouble;

    /// <summary>The delay after the <paramref name="n"/>-th failed try or budgeted drop (n ≥ 1).</summary>
    public TimeSpan Delay(int n)
    {
        var delay = initial;
        for (var i = 1; i < n && delay < max; i++)
        {
            delay = delay.Ticks > max.Ticks / 2 ? max : delay + delay;
        }

        if (delay > max)
        {
            delay = max;
        }

        if (jitter > 0)
        {
            delay = TimeSpan.FromTicks(Math.Max(1, (long)(delay.Ticks * (1 - (jitter * NextRandom())))));
        }

        return delay;
    }
}
