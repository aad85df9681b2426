using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Protocol;

namespace Aion.Worker.Pipeline;

/// <summary>A payload on its way out, for an <see cref="IOutboundStage"/>: what it is, and the task it belongs to.</summary>
/// <remarks>Valid during the call it was passed to; copying it costs nothing.</remarks>
public readonly struct OutboundPayloadContext
{
    private readonly ActivityExecution _execution;

    internal OutboundPayloadContext(ActivityExecution execution, OutboundPayloadKind kind, Payload payload)
    {
        _execution = execution;
        Kind = kind;
        Payload = payload;
    }

    /// <summary>Which payload this is.</summary>
    public OutboundPayloadKind Kind { get; }

    /// <summary>The payload as the codec (or the previous stage) produced it; do not change it, return a new one.</summary>
    public Payload Payload { get; }

    /// <summary>The task the payload belongs to (ids, type, attempt, labels, input, session).</summary>
    public InboundTaskContext Task => new(_execution);

    /// <summary>The workflow id.</summary>
    public string WorkflowId => _execution.Key.WorkflowId;

    /// <summary>The activity id: its sequence position within the workflow.</summary>
    public ulong ActivityId => _execution.Key.Position;

    /// <summary>The activity type.</summary>
    public string ActivityType => _execution.ActivityType;

    /// <summary>The attempt, one-based.</summary>
    public uint Attempt => _execution.Key.Attempt;
}
