namespace Aion.Worker;

/// <summary>A result the engine had not acknowledged when a run ended: the engine may not have it.</summary>
public sealed class UnackedResult
{
    internal UnackedResult(string workflowId, ulong activityId, uint attempt, bool sent)
    {
        WorkflowId = workflowId;
        ActivityId = activityId;
        Attempt = attempt;
        Sent = sent;
    }

    /// <summary>The workflow of the activity.</summary>
    public string WorkflowId { get; }

    /// <summary>The activity id (sequence position) within the workflow.</summary>
    public ulong ActivityId { get; }

    /// <summary>The attempt whose outcome this is.</summary>
    public uint Attempt { get; }

    /// <summary>Whether the result was written to a session at least once (it may or may not have reached the engine; its ack was not seen); <see langword="false"/> when it was never written.</summary>
    public bool Sent { get; }

    /// <summary>The ids, e.g. <c>wf-1/3#2 (sent)</c>.</summary>
    /// <returns>Workflow id, activity id, attempt and whether it was sent.</returns>
    public override string ToString() => $"{WorkflowId}/{ActivityId}#{Attempt} ({(Sent ? "sent" : "never sent")})";
}
