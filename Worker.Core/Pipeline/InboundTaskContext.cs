using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Pipeline;

/// <summary>A queued task as stages and admission filters see it: its ids, type, attempt, labels, input (read-only) and the session it came from.</summary>
/// <remarks>A view over the worker's own record of the task: valid during the call it was passed to; copying it costs nothing.</remarks>
public readonly struct InboundTaskContext
{
    private readonly ActivityExecution _execution;

    internal InboundTaskContext(ActivityExecution execution) => _execution = execution;

    /// <summary>The workflow id, exactly as the engine sent it.</summary>
    public string WorkflowId => _execution.Key.WorkflowId;

    /// <summary>The activity id: its sequence position within the workflow.</summary>
    public ulong ActivityId => _execution.Key.Position;

    /// <summary>The workflow run id, or <see langword="null"/> when the task had none.</summary>
    public string? RunId => _execution.Task.RunId?.Uuid;

    /// <summary>The activity type.</summary>
    public string ActivityType => _execution.Task.ActivityType;

    /// <summary>The attempt, one-based, as sent by the engine.</summary>
    public uint Attempt => _execution.Key.Attempt;

    /// <summary>Display-only labels the engine sent with the task.</summary>
    public IReadOnlyDictionary<string, string> Labels => _execution.Task.Labels;

    /// <summary>The input payload's bytes (read-only).</summary>
    public ReadOnlyMemory<byte> Input => _execution.Task.Input.Bytes.Memory;

    /// <summary>The input payload's content type, e.g. <c>application/json</c>.</summary>
    public string InputContentType => _execution.Task.Input.ContentType;

    /// <summary>The registration of the session that dispatched the task.</summary>
    public WorkerRegistration Session => _execution.Registration;

    /// <summary>Describes the task.</summary>
    /// <returns>Its ids, attempt and type.</returns>
    public override string ToString() => _execution?.ToString() ?? "(none)";
}
