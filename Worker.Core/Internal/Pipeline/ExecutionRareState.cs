namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// What few executions use — a rejection, a liveness frame, the latest unsent progress, resources to
/// dispose after the outcome — in one object an <see cref="ActivityExecution"/> makes on first use.
/// </summary>
internal sealed class ExecutionRareState
{
    public string? Rejection;
    public Protocol.WorkerToServer? LivenessFrame;
    public Protocol.WorkerToServer? PendingProgress;
    public List<IAsyncDisposable>? DisposeAfterOutcome;

    /// <summary>Disposes <paramref name="resources"/>, last first; a failure is logged and the rest still disposed.</summary>
    public static async ValueTask DisposeAllAsync(List<IAsyncDisposable> resources, WorkerLog log, ExecutionKey key)
    {
        for (var i = resources.Count - 1; i >= 0; i--)
        {
            try
            {
                await resources[i].DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                log.DisposeFailed(ex, key.WorkflowId, key.Position, key.Attempt);
            }
        }
    }
}
