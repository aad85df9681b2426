namespace Aion.Worker.Pipeline;

/// <summary>Says whether a queued task may start <i>now</i>; when not, the dispatcher tries the next queued task ("not now, try the next one").</summary>
/// <remarks>
/// <para>
/// Unlike an <see cref="IInboundStage"/>'s hold, which blocks the tasks behind it, a filter that
/// refuses a task lets the first queued task it accepts start in its place; the refused task keeps
/// its place at the front and is asked again whenever something changes. The built-in per-type
/// concurrency limit (<see cref="WorkerPipelineBuilder.AddConcurrencyLimits(ActivityConcurrencyLimitOptions)"/>)
/// is one.
/// </para>
/// <para>
/// Filters run before the inbound stages, on the dispatcher's task, one call at a time; they must
/// not block. <see cref="TryReserve"/> takes room for a task; <see cref="Release"/> gives it back
/// once the task finished or will never run (its outcome was recorded, or it was discarded).
/// </para>
/// </remarks>
public interface IAdmissionFilter
{
    /// <summary>Takes room for <paramref name="task"/> if it may start now.</summary>
    /// <param name="task">A queued task.</param>
    /// <returns><see langword="true"/> when the task may start (its room is taken); <see langword="false"/> to try the next queued task.</returns>
    bool TryReserve(in InboundTaskContext task);

    /// <summary>Gives back the room <see cref="TryReserve"/> took for <paramref name="task"/>.</summary>
    /// <param name="task">The task, finished or never to run. May be called from any thread.</param>
    void Release(in InboundTaskContext task);
}
