namespace Aion.Worker.Tests.Support;

/// <summary>Records a worker's session events so tests can await them.</summary>
public sealed class SessionRecorder
{
    private readonly Lock _gate = new();
    private readonly List<SessionEndedEventArgs> _ended = [];
    private readonly List<SessionStartedEventArgs> _started = [];

    public SessionRecorder(AionWorker worker)
    {
        worker.SessionStarted += (_, e) =>
        {
            lock (_gate)
            {
                _started.Add(e);
            }
        };
        worker.SessionEnded += (_, e) =>
        {
            lock (_gate)
            {
                _ended.Add(e);
            }
        };
    }

    public IReadOnlyList<SessionEndedEventArgs> Ended
    {
        get
        {
            lock (_gate)
            {
                return [.. _ended];
            }
        }
    }

    public IReadOnlyList<SessionStartedEventArgs> Started
    {
        get
        {
            lock (_gate)
            {
                return [.. _started];
            }
        }
    }

    /// <summary>Waits (bounded) for the <paramref name="number"/>-th session end (1-based).</summary>
    public async Task<SessionEnd> WaitForEndAsync(int number = 1)
    {
        await Poll.UntilAsync(() => Ended.Count >= number, $"session end #{number}").ConfigureAwait(false);
        return Ended[number - 1].End;
    }
}
