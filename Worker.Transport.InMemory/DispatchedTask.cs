using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>A task the <see cref="InMemoryEngine"/> dispatched and follows to its result, across re-dispatches.</summary>
public sealed class DispatchedTask
{
    private readonly TaskCompletionSource<ActivityResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _attempt;

    internal DispatchedTask(ActivityTask task)
    {
        Task = task;
        _attempt = (int)task.Attempt;
    }

    /// <summary>The task as most recently dispatched (its attempt grows on each re-dispatch).</summary>
    public ActivityTask Task { get; internal set; }

    /// <summary>The workflow id.</summary>
    public string WorkflowId => Task.WorkflowId.Uuid;

    /// <summary>The activity id (sequence position).</summary>
    public ulong Position => Task.ActivityId.SequencePosition;

    /// <summary>The latest attempt dispatched.</summary>
    public uint Attempt => (uint)Volatile.Read(ref _attempt);

    /// <summary>How many times the task was dispatched.</summary>
    public int Dispatches { get; internal set; }

    /// <summary>Completes with the first result the engine received for this task.</summary>
    public Task<ActivityResult> Result => _result.Task;

    /// <summary>Whether a result arrived.</summary>
    public bool IsCompleted => _result.Task.IsCompleted;

    internal void SetAttempt(uint attempt) => Volatile.Write(ref _attempt, (int)attempt);

    internal bool Complete(ActivityResult result) => _result.TrySetResult(result);

    /// <inheritdoc />
    public override string ToString() => $"{Task.ActivityType} {WorkflowId}/{Position} attempt {Attempt}";
}
