namespace Aion.Worker.Tests.Support;

/// <summary>Waits on the timers a <see cref="TestTime"/> recorded, for backoff and deadline assertions.</summary>
public static class TimerWaits
{
    /// <summary>How many timers with this due time were ever created (fired and disposed ones included).</summary>
    public static int CountTimers(this TestTime time, TimeSpan dueTime) => time.Timers.Count(t => t.DueTime == dueTime);

    /// <summary>The due times of every timer created so far whose due time is one of <paramref name="candidates"/>, in creation order.</summary>
    public static TimeSpan[] TimersAmong(this TestTime time, params TimeSpan[] candidates) =>
        time.Timers.Select(t => t.DueTime).Where(candidates.Contains).ToArray();

    /// <summary>Waits (real time, bounded) until the <paramref name="count"/>-th timer with this due time was created.</summary>
    public static Task WaitForTimerCountAsync(this TestTime time, TimeSpan dueTime, int count) =>
        time.WaitForAsync(() => time.CountTimers(dueTime) >= count);

    /// <summary>Waits until the <paramref name="count"/>-th timer with this due time exists, then advances fake time by it.</summary>
    public static async Task SleepThroughAsync(this TestTime time, TimeSpan dueTime, int count)
    {
        await time.WaitForTimerCountAsync(dueTime, count).ConfigureAwait(false);
        time.Advance(dueTime);
    }
}
