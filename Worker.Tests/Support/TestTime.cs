using Microsoft.Extensions.Time.Testing;

namespace Aion.Worker.Tests.Support;

/// <summary>
/// A fake clock that records every timer the code under test creates (Task.Delay, CancelAfter,
/// ITimer), so a test advances time only once the timer it expects exists.
/// </summary>
public sealed class TestTime : TimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<RecordedTimer> _timers = [];
    private TaskCompletionSource _created = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FakeTimeProvider Fake { get; } = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    public override DateTimeOffset GetUtcNow() => Fake.GetUtcNow();

    public override long GetTimestamp() => Fake.GetTimestamp();

    public override long TimestampFrequency => Fake.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => Fake.LocalTimeZone;

    /// <summary>Every timer created so far.</summary>
    public IReadOnlyList<RecordedTimer> Timers
    {
        get
        {
            lock (_gate)
            {
                return [.. _timers];
            }
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new RecordedTimer(this, Fake.CreateTimer(callback, state, dueTime, period), Fake.GetUtcNow(), dueTime, period);
        TaskCompletionSource created;
        lock (_gate)
        {
            _timers.Add(timer);
            created = _created;
            _created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        created.TrySetResult();
        return timer;
    }

    internal void Changed(RecordedTimer timer)
    {
        TaskCompletionSource created;
        lock (_gate)
        {
            created = _created;
            _created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        created.TrySetResult();
    }

    /// <summary>Waits (real time, bounded) until an active timer with the given due time exists.</summary>
    public async Task<RecordedTimer> WaitForTimerAsync(TimeSpan dueTime, TimeSpan? within = null)
    {
        RecordedTimer? found = null;
        await WaitForAsync(() => (found = ActiveTimers().FirstOrDefault(t => t.DueTime == dueTime)) is not null, within).ConfigureAwait(false);
        return found!;
    }

    /// <summary>Waits (real time, bounded) until <paramref name="condition"/> over the timers holds.</summary>
    public async Task WaitForAsync(Func<bool> condition, TimeSpan? within = null)
    {
        using var bound = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            Task next;
            lock (_gate)
            {
                if (condition())
                {
                    return;
                }

                next = _created.Task;
            }

            try
            {
                // Timers change outside our view too (fired, disposed): poll as a fallback.
                await Task.WhenAny(next, Task.Delay(5, bound.Token)).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }

            if (bound.IsCancellationRequested)
            {
                throw new TimeoutException("The expected timer was never created.");
            }
        }
    }

    /// <summary>Timers that are still pending (not disposed, not a fired one-shot).</summary>
    public IReadOnlyList<RecordedTimer> ActiveTimers() => Timers.Where(t => t.IsActive).ToArray();

    /// <summary>Advances fake time in small steps so every timer sees its own due time.</summary>
    public void Advance(TimeSpan by, TimeSpan? step = null)
    {
        var increment = step ?? TimeSpan.FromMilliseconds(1);
        var left = by;
        while (left > TimeSpan.Zero)
        {
            var now = left < increment ? left : increment;
            Fake.Advance(now);
            left -= now;
        }
    }

    public sealed class RecordedTimer(TestTime owner, ITimer inner, DateTimeOffset createdAt, TimeSpan dueTime, TimeSpan period) : ITimer
    {
        private bool _disposed;

        public DateTimeOffset CreatedAt { get; private set; } = createdAt;
        public TimeSpan DueTime { get; private set; } = dueTime;
        public TimeSpan Period { get; private set; } = period;
        public DateTimeOffset DueAt => CreatedAt + DueTime;

        public bool IsActive => !_disposed && DueTime != Timeout.InfiniteTimeSpan && (Period > TimeSpan.Zero || owner.GetUtcNow() < DueAt);

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            Period = period;
            CreatedAt = owner.GetUtcNow();
            var changed = inner.Change(dueTime, period);
            owner.Changed(this);
            return changed;
        }

        public void Dispose()
        {
            _disposed = true;
            inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            _disposed = true;
            return inner.DisposeAsync();
        }

        public override string ToString() => $"timer due {DueTime} period {Period} created {CreatedAt:HH:mm:ss.fff} active {IsActive}";
    }
}
