namespace Aion.Worker.Pipeline;

/// <summary>Decides about each task before it starts: admit it, hold it, or fail it.</summary>
/// <remarks>
/// <para>
/// The dispatcher asks the inbound stages about one task at a time, in arrival order and in the order
/// the stages were added, once the task is at the head of the queue and a concurrency slot and room
/// in the unacked-result tracker are free. A stage is created once per run and called from one task
/// at a time.
/// </para>
/// <para>
/// To <b>hold</b> the task, return a <see cref="ValueTask{TResult}"/> that has not completed yet: the
/// task stays queued (it counts toward <see cref="AionWorkerOptions.MaxQueuedTasks"/> and is
/// heartbeated), and the tasks behind it wait too. The token fires when the task's session ends or
/// the worker shuts down; the held task is then discarded like any queued task (the engine
/// re-dispatches it). A drain does not fire it: held tasks keep waiting.
/// </para>
/// <para>
/// A stage that throws fails the task RETRYABLE with a message naming the stage; the session and
/// the run go on. Keep the synchronous path free of allocation: it runs for every task.
/// </para>
/// </remarks>
public interface IInboundStage
{
    /// <summary>Decides about <paramref name="task"/>.</summary>
    /// <param name="task">The task at the head of the queue.</param>
    /// <param name="cancellationToken">Fires when the task's session ends or the worker shuts down.</param>
    /// <returns>The decision; not completed while the stage holds the task.</returns>
    ValueTask<InboundDecision> OnTaskAsync(InboundTaskContext task, CancellationToken cancellationToken);
}
