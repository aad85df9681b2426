using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>A result the engine received.</summary>
/// <param name="Session">The session it arrived on.</param>
/// <param name="Result">The result.</param>
/// <param name="Sequence">Its place among every frame the engine received (results and heartbeats).</param>
public sealed record ReceivedResult(EngineSession Session, ActivityResult Result, long Sequence)
{
    /// <summary>The workflow id.</summary>
    public string WorkflowId => Result.WorkflowId?.Uuid ?? string.Empty;

    /// <summary>The activity id.</summary>
    public ulong Position => Result.ActivityId?.SequencePosition ?? 0;

    /// <summary>Whether the engine acked it.</summary>
    public bool Acked { get; internal set; }
}

/// <summary>A heartbeat the engine received.</summary>
/// <param name="Session">The session it arrived on.</param>
/// <param name="Heartbeat">The heartbeat.</param>
/// <param name="Sequence">Its place among every frame the engine received.</param>
/// <param name="ReceivedAt">The engine clock's time when it arrived.</param>
public sealed record ReceivedHeartbeat(EngineSession Session, Heartbeat Heartbeat, long Sequence, DateTimeOffset ReceivedAt)
{
    /// <summary>The workflow id.</summary>
    public string WorkflowId => Heartbeat.WorkflowId?.Uuid ?? string.Empty;

    /// <summary>The activity id.</summary>
    public ulong Position => Heartbeat.ActivityId?.SequencePosition ?? 0;

    /// <summary>Whether it carries progress (false for automatic liveness beats).</summary>
    public bool HasProgress => Heartbeat.Progress is not null;
}
