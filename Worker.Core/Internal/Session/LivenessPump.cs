using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// The session's liveness pump (spec/BEHAVIOUR.md, "Liveness pump"): on its own timer, every
/// max(window / 4, 1 ms), it marks a round due and pokes the write pump, which sends one
/// progress-less heartbeat for every queued and running task before its next frame. It never
/// stalls behind reading or dispatch; a window of 0 disables it.
/// </summary>
internal sealed class LivenessPump(SessionAdapter session, WorkerRuntime runtime, WorkerPipeline pipeline) : IDisposable
{
    private ITimer? _timer;
    private int _due;

    /// <summary>Whether a round is due.</summary>
    public bool IsDue => Volatile.Read(ref _due) != 0;

    /// <summary>The interval for an engine window: max(window / 4, 1 ms), computed in ticks, capped at the timer limit.</summary>
    public static TimeSpan Interval(TimeSpan window)
    {
        var interval = TimeSpan.FromTicks(Math.Max(window.Ticks / 4, TimeSpan.TicksPerMillisecond));
        return interval > WorkerSettings.MaxDuration ? WorkerSettings.MaxDuration : interval;
    }

    public void Start()
    {
        var window = session.Registration.HeartbeatWindow;
        if (window <= TimeSpan.Zero)
        {
            return;
        }

        var interval = Interval(window);
        _timer = runtime.Time.CreateTimer(static state => ((LivenessPump)state!).OnTick(), this, interval, interval);
    }

    /// <summary>Sends the due round through <paramref name="sender"/>: a heartbeat for every task without an outcome yet.</summary>
    public async ValueTask SendRoundAsync(FrameSender sender)
    {
        Volatile.Write(ref _due, 0);
        var frames = runtime.InFlight.LivenessFrames();
        foreach (var frame in frames)
        {
            await sender.SendAsync(frame).ConfigureAwait(false);
        }

        sender.SentLiveness(frames.Count);
    }

    public void Dispose() => _timer?.Dispose();

    private void OnTick()
    {
        if (session.IsEnded || runtime.InFlight.Count == 0)
        {
            return;
        }

        Volatile.Write(ref _due, 1);

        // If the channel is full the write pump is busy and sees the round due before its next item.
        pipeline.Poke(session);
    }
}
