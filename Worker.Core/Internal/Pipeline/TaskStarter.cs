using Aion.Worker.Internal.Session;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// Starts queued tasks from whichever thread sees the chance first, so a task costs no dispatcher
/// wake-up (issue 13): the read pump starts the task it just queued when a slot is free; a finishing
/// activity hands its slot straight to the next queued task (<see cref="TryHandOff"/>); the
/// dispatcher starts tasks after a replay and handles what needs waiting (the unacked tracker full,
/// a drain, shutdown). Every path applies the same rules as the dispatcher always did: only for the
/// attached, replayed, unfinished session, in arrival order, never more than MaxConcurrency at once,
/// and only while tracked results + running activities stay within MaxUnackedResults (and the
/// tracker under MaxUnackedResultBytes). A run with admission filters or inbound stages decides every
/// start on the dispatcher instead (<see cref="IsEnabled"/> is false).
/// </summary>
/// <remarks>
/// A slot is taken before the room check (<see cref="InFlightTable.TryAcquireSlot"/>), so concurrent
/// starters never overshoot either bound. A starter that stops does so only where another party is
/// sure to look again: a full set of slots is looked at by the next finishing activity; everything
/// else (no room in the tracker, no session to serve, a drain or shutdown) wakes the dispatcher.
/// </remarks>
internal sealed class TaskStarter(WorkerRuntime runtime, WorkerPipeline pipeline, bool enabled)
{
    /// <summary>What one attempt to start a task found.</summary>
    public enum Outcome : byte
    {
        /// <summary>A task started (or was discarded as a dead session's and the next one started).</summary>
        Started,

        /// <summary>No task is queued.</summary>
        Empty,

        /// <summary>Every slot is taken: a finishing activity will take the next task.</summary>
        Saturated,

        /// <summary>The unacked tracker has no room: the dispatcher waits for acks.</summary>
        NoRoom,

        /// <summary>No session may start tasks now (none attached, replaying, finishing, shutting down).</summary>
        NotServing,
    }

    private readonly WorkerSettings _settings = runtime.Settings;
    private readonly InFlightTable _inFlight = runtime.InFlight;

    /// <summary>Whether tasks start outside the dispatcher (false when stages decide admission).</summary>
    public bool IsEnabled => enabled;

    /// <summary>Starts the next queued task when <paramref name="session"/> may be served and a slot and room are free; the caller holds no slot.</summary>
    public Outcome TryStartNext(SessionAdapter? session)
    {
        var outcome = TryTakeNext(session, out var execution);
        if (outcome == Outcome.Started)
        {
            execution!.Launch();
        }

        return outcome;
    }

    /// <summary>As <see cref="TryStartNext"/>, but hands the started execution (its slot taken, marked running) to the caller to run.</summary>
    private Outcome TryTakeNext(SessionAdapter? session, out ActivityExecution? execution)
    {
        // Pairs with the full fence of a slot release: either the releaser sees the task queued, or this sees the slot free.
        Interlocked.MemoryBarrier();
        while (true)
        {
            execution = null;
            if (!IsServing(session))
            {
                return Outcome.NotServing;
            }

            if (pipeline.Inbound.Count == 0)
            {
                return Outcome.Empty;
            }

            if (!_inFlight.TryAcquireSlot(_settings.MaxConcurrency))
            {
                return Outcome.Saturated;
            }

            if (!HasRoom(starting: 0))
            {
                _inFlight.ReleaseSlot();
                return Outcome.NoRoom;
            }

            if (TryTakeFor(session!, out var taken))
            {
                execution = taken;
                return Outcome.Started;
            }

            // Another starter took it: give the slot back and look again.
            _inFlight.ReleaseSlot();
        }
    }

    /// <summary>
    /// Called by an activity whose outcome is recorded, while it still holds its slot: returns the
    /// next queued task, already running in that slot, for the caller to run; or <see langword="null"/>
    /// after the finished execution was released (and the dispatcher woken when it has to act).
    /// </summary>
    public ActivityExecution? TryHandOff(ActivityExecution finished)
    {
        if (enabled)
        {
            var session = pipeline.Attached;

            // The finished execution's result is tracked and its slot counted: handing the slot on keeps tracked + running as it is.
            if (IsServing(session) && pipeline.Inbound.Count > 0 && HasRoom(starting: 0) && TryTakeFor(session!, out var next))
            {
                (finished as StagedExecution)?.ReleaseReservation();
                _inFlight.Forget(finished);
                return next;
            }
        }

        runtime.Reporter.Release(finished);
        if (!enabled)
        {
            pipeline.Wake();
            return null;
        }

        // The slot is free: a task queued meanwhile starts in the caller's chain (no recursion, no work item).
        var attached = pipeline.Attached;
        var outcome = TryTakeNext(attached, out var started);
        if (NeedsDispatcher(outcome)
            || (outcome == Outcome.Empty && !HasRoom(starting: 1) && !pipeline.AwaitingAck)
            || attached is null or { DrainSeen: true }
            || pipeline.Shutdown.IsCancellationRequested)
        {
            // The transitions the dispatcher handles: a full tracker (it times the stall, queue or not), no session to serve, a drain, shutdown.
            pipeline.Wake();
        }

        return started;
    }

    /// <summary>After the read pump queued a task: start it now if a slot is free, else leave it to whoever acts next.</summary>
    public void AfterEnqueue(SessionAdapter session)
    {
        if (!enabled)
        {
            pipeline.Wake();
            return;
        }

        if (NeedsDispatcher(TryStartNext(session)))
        {
            pipeline.Wake();
        }
    }

    /// <summary>
    /// Whether the dispatcher must look: no session to serve, or no room in the tracker while the
    /// dispatcher does not know it yet (once it waits for an ack, its stall clock runs undisturbed).
    /// </summary>
    private bool NeedsDispatcher(Outcome outcome) =>
        outcome == Outcome.NotServing || (outcome == Outcome.NoRoom && !pipeline.AwaitingAck);

    /// <summary>
    /// Whether the tracker has room for the activities holding slots now plus <paramref name="starting"/>
    /// more: 0 after a slot was taken (it is counted already), 1 before (running activities reserve no
    /// bytes: the overshoot is at most MaxConcurrency × MaxSendMessageSize).
    /// </summary>
    public bool HasRoom(int starting)
    {
        var tracker = runtime.Tracker;
        return tracker.Count + _inFlight.Running + starting <= _settings.MaxUnackedResults && tracker.Bytes < _settings.MaxUnackedResultBytes;
    }

    /// <summary>Whether tasks may start for <paramref name="session"/> now.</summary>
    private bool IsServing(SessionAdapter? session) =>
        session is { IsStarted: true, IsEnded: false, IsFinishing: false, Replayed: true }
        && !pipeline.Shutdown.IsCancellationRequested;

    /// <summary>Takes the next queued task of <paramref name="session"/>, discarding any a dead session queued; marks it running.</summary>
    private bool TryTakeFor(SessionAdapter session, out ActivityExecution execution)
    {
        var inbound = pipeline.Inbound;
        while (inbound.TryTake(out execution))
        {
            if (execution.SessionId == session.Id && execution.TryMarkRunning())
            {
                return true;
            }

            // Queued by a session that ended: the engine re-dispatches it.
            _inFlight.Discard(execution);
        }

        return false;
    }
}
