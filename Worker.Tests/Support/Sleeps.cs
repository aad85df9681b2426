namespace Aion.Worker.Tests.Support;

/// <summary>
/// Passes the worker's sleeps one by one on a <see cref="TestTime"/>: each call waits for the next
/// timer with that due time (counting the ones already passed), then advances fake time by it.
/// Tests using it keep other timers (register and send timeouts) at other due times.
/// </summary>
public sealed class Sleeps(TestTime time)
{
    private readonly Dictionary<TimeSpan, int> _passed = [];

    public async Task PassAsync(TimeSpan dueTime)
    {
        var count = _passed.GetValueOrDefault(dueTime) + 1;
        _passed[dueTime] = count;
        await time.SleepThroughAsync(dueTime, count).ConfigureAwait(false);
    }
}
