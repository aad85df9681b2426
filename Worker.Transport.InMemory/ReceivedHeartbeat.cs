using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

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

    /// <summary>Decodes the progress the activity reported with <see cref="ActivityContext.HeartbeatAsync{TProgress}"/>.</summary>
    /// <typeparam name="T">The progress type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <param name="codec">The worker's codec; default <see cref="JsonPayloadCodec.Default"/>.</param>
    /// <returns>The progress.</returns>
    /// <exception cref="InvalidOperationException">The heartbeat carries no progress (an automatic liveness beat).</exception>
    /// <exception cref="PayloadCodecException">The progress does not decode as <typeparamref name="T"/>.</exception>
    public T GetProgress<T>(IPayloadCodec? codec = null)
    {
        if (Heartbeat.Progress is not { } progress)
        {
            throw new InvalidOperationException($"The heartbeat for {WorkflowId}/{Position} carries no progress: it is an automatic liveness beat.");
        }

        return ActivityResultExtensions.Decode<T>(progress, codec);
    }
}
