namespace Aion.Worker.Transport;

/// <summary>A request from the engine to cancel one running activity.</summary>
/// <param name="WorkflowId">The workflow id, as sent on the task.</param>
/// <param name="SequencePosition">The activity id (its sequence position).</param>
/// <param name="Attempt">The attempt to cancel, or <see langword="null"/> for every running attempt.</param>
public sealed record ActivityCancelRequest(string WorkflowId, ulong SequencePosition, uint? Attempt = null);
