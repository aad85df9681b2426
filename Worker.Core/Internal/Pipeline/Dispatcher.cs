using Aion.Worker.Internal.Session;
using Aion.Worker.Internal.Stages;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// Starts queued tasks for the whole run (spec/BEHAVIOUR.md, "Serving"): in arrival order, only for
/// the attached session and only after its replay, never more than MaxConcurrency at once and only
/// while tracked results + running activities stay under MaxUnackedResults. It ends a session whose
/// tracker stays full without an ack for MaxBackoff, and asks a drained or shutting-down session
/// to finish.
/// </summary>
internal sealed class Dispatcher
{
    private readonly AsyncSignal _wake = new();
    private readonly WorkerRuntime _runtime;
    private readonly WorkerPipeline _pipeline;
    private readonly WorkerSettings _settings;
    private readonly TimeProvider _time;
    private readonly StageAdmission? _admission;
    private SessionAdapter? _serving;
    private long _roomBlockedSince;
    private ActivityExecution? _candidate;
    private bool _awaitingAck;

    public Dispatcher(WorkerRuntime runtime, WorkerPipeline pipeline, RunStages stages)
    {
        _runtime = runtime;
        _pipeline = pipeline;
        _settings = runtime.Settings;
        _time = runtime.Time;
        _admission = stages.DecidesAdmission ? new StageAdmission(runtime, pipeline, stages) : null;
    }

    /// <summary>Something changed: a task arrived or finished, a session attached or ended, a drain or shutdown.</summary>
    public void Wake() => _wake.Set();

    /// <summary>Whether the tracker keeps tasks from starting, so an ack matters to the dispatcher.</summary>
    public bool AwaitingAck => Volatile.Read(ref _awaitingAck);

    /// <summary>An ack removed a tracked result: wakes the dispatcher only when the tracker is what keeps tasks from starting.</summary>
    public void AckRemoved()
    {
        // Pairs with the fence in RoomBlocked.
        Interlocked.MemoryBarrier();
        if (Volatile.Read(ref _awaitingAck))
        {
            _wake.Set();
        }
    }

    /// <summary>Disposes what the dispatcher kept for its stages.</summary>
    public void Dispose() => _admission?.Dispose();

    public async Task RunAsync(CancellationToken runEnd)
    {
        while (!runEnd.IsCancellationRequested)
        {
            var session = _pipeline.Attached;
            if (session is null || !session.IsStarted || session.IsEnded || session.IsFinishing)
            {
                await _wake.WaitAsync(CancellationToken.None).ConfigureAwait(false);
                continue;
            }

            if (!ReferenceEquals(session, _serving))
            {
                _serving = session;
                _roomBlockedSince = 0;
                _admission?.Serve(session);
            }

            try
            {
                if (!Step(session, out var stallLeft))
                {
                    await WaitForWakeAsync(stallLeft, session.EndToken).ConfigureAwait(false);
                }
                else if (_candidate is { } candidate)
                {
                    _candidate = null;
                    await _admission!.DecideAsync(candidate, session).ConfigureAwait(false);
                }
            }
            catch (Exception ex)
            {
                // Not expected: the session cannot be served on, the run goes on.
                session.EndWith(ex);
            }
        }
    }

    /// <summary>One decision for the attached session; true when it acted and should decide again at once.</summary>
    private bool Step(SessionAdapter session, out TimeSpan? stallLeft)
    {
        stallLeft = null;
        if (_pipeline.Shutdown.IsCancellationRequested)
        {
            if (!session.Replayed)
            {
                // Shutdown wins over a replay at once.
                session.EndBeforeReplayFinished();
            }
            else
            {
                session.BeginFinish(SessionEndKind.Shutdown);
            }

            return true;
        }

        if (!session.Replayed)
        {
            return false;
        }

        if (_admission is null)
        {
            // Without admission stages tasks also start from the read pump and finishing activities (TaskStarter); the dispatcher starts them after a replay or an ack, and waits out a full tracker.
            switch (_pipeline.Starter.TryStartNext(session))
            {
                case TaskStarter.Outcome.Started:
                    RoomFound();
                    return true;
                case TaskStarter.Outcome.Empty when _pipeline.Starter.HasRoom(starting: 1):
                    RoomFound();
                    break;
                case TaskStarter.Outcome.Empty:
                case TaskStarter.Outcome.NoRoom:
                    if (RoomBlocked(session, out stallLeft))
                    {
                        return true;
                    }

                    break;
            }
        }
        else if (_runtime.InFlight.Running < _settings.MaxConcurrency)
        {
            if (_pipeline.Starter.HasRoom(starting: 1))
            {
                RoomFound();

                // Filters pick the task, the inbound stages decide about it (RunAsync awaits them).
                if (_admission.TryTake(out var candidate))
                {
                    _candidate = candidate;
                    return true;
                }
            }
            else if (RoomBlocked(session, out stallLeft))
            {
                return true;
            }
        }

        if (session.DrainSeen && _pipeline.Inbound.Count == 0 && _runtime.InFlight.Running == 0)
        {
            session.BeginFinish(SessionEndKind.Drain);
            return true;
        }

        return false;
    }

    /// <summary>Room in the tracker: reading past a full queue stops, the stall clock resets, acks no longer need to wake the dispatcher.</summary>
    private void RoomFound()
    {
        _roomBlockedSince = 0;
        Volatile.Write(ref _awaitingAck, false);
        _pipeline.Inbound.ReadPast(false);
    }

    /// <summary>
    /// The tracker, not concurrency, keeps tasks from starting: the acks that free it may sit behind
    /// queued tasks, so the read pump may read past a full queue, and the session ends when no ack
    /// comes for MaxBackoff. True when the dispatcher should decide again at once.
    /// </summary>
    private bool RoomBlocked(SessionAdapter session, out TimeSpan? stallLeft)
    {
        stallLeft = null;

        // From here on an ack that frees room wakes the dispatcher (the fence pairs with the ack's: one of the two sees the other).
        Volatile.Write(ref _awaitingAck, true);
        Interlocked.MemoryBarrier();
        if (_pipeline.Starter.HasRoom(starting: 1))
        {
            // An ack freed room before the flag was seen: decide again.
            return true;
        }

        var tracker = _runtime.Tracker;
        var tracked = tracker.Count;
        if (tracked == 0)
        {
            // Running activities alone fill MaxUnackedResults: a release frees room (and wakes the dispatcher).
            return false;
        }

        _pipeline.Inbound.ReadPast(true);
        stallLeft = StallTimeLeft(session);
        if (stallLeft <= TimeSpan.Zero)
        {
            session.TryEnd(SessionEndKind.Error, StallError(tracked, tracker.Bytes, _runtime.InFlight.Running));
            return true;
        }

        return false;
    }

    /// <summary>The error of a stalled session: what the tracker holds, what is queued ahead of the acks, and every bound.</summary>
    private AionWorkerException StallError(int tracked, long trackedBytes, int running)
    {
        var inbound = _pipeline.Inbound;
        var queued = inbound.Count;
        var queuedBytes = inbound.QueuedBytes;
        var ahead = inbound.ReadPastExhausted
            ? $"the read pump holds {queued} task frames of {queuedBytes} bytes, at the read-past bound of {inbound.ReadPastBytes} bytes, so acks queued behind further task frames cannot be reached"
            : $"{queued} task frames of {queuedBytes} bytes are queued (read-past bound {inbound.ReadPastBytes} bytes)";
        return new AionWorkerException(
            AionErrorKind.UnackedResultsStalled,
            string.Create(
                System.Globalization.CultureInfo.InvariantCulture,
                $"The unacked-result tracker stayed full with no ack for {_settings.MaxBackoff.TotalMilliseconds} ms: {tracked} results of {trackedBytes} bytes tracked and {running} running (bounds: MaxUnackedResults {_settings.MaxUnackedResults}, MaxUnackedResultBytes {_settings.MaxUnackedResultBytes} bytes); {ahead}. A stalled session is never healthy: after Reconnect.MaxAttempts ({_settings.MaxAttempts}) such sessions in a row the run fails."));
    }

    private TimeSpan StallTimeLeft(SessionAdapter session)
    {
        var now = _time.GetTimestamp();
        if (_roomBlockedSince == 0)
        {
            _roomBlockedSince = now;
        }

        var since = Math.Max(_roomBlockedSince, session.LastAckTimestamp);
        return _settings.MaxBackoff - _time.GetElapsedTime(since, now);
    }

    private ValueTask WaitForWakeAsync(TimeSpan? timeout, CancellationToken sessionEnd) =>
        timeout is { } delay ? WaitForWakeOrStallAsync(delay, sessionEnd) : _wake.WaitAsync(CancellationToken.None);

    /// <summary>The stall deadline and the session's end wake the dispatcher like any other change (a late one costs a spare decision).</summary>
    private async ValueTask WaitForWakeOrStallAsync(TimeSpan delay, CancellationToken sessionEnd)
    {
        using var deadline = _time.CreateTimer(static wake => ((AsyncSignal)wake!).Set(), _wake, delay, Timeout.InfiniteTimeSpan);
        using var ended = sessionEnd.UnsafeRegister(static wake => ((AsyncSignal)wake!).Set(), _wake);
        await _wake.WaitAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
