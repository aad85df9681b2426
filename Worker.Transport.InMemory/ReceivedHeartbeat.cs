using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization.Metadata;
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

    /// <summary>Decodes the progress the activity reported with <see cref="ActivityContext.HeartbeatAsync{TProgress}(TProgress, CancellationToken)"/>, with the reflection-based <see cref="JsonPayloadCodec.Default"/>.</summary>
    /// <typeparam name="T">The progress type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <returns>The progress.</returns>
    /// <exception cref="InvalidOperationException">The heartbeat carries no progress (an automatic liveness beat).</exception>
    /// <exception cref="PayloadCodecException">The progress does not decode as <typeparamref name="T"/>.</exception>
    [RequiresUnreferencedCode(ActivityResultExtensions.ReflectionMessage)]
    [RequiresDynamicCode(ActivityResultExtensions.ReflectionMessage)]
    public T GetProgress<T>() => GetProgress<T>(JsonPayloadCodec.Default);

    /// <summary>Decodes the progress the activity reported, with the worker's codec.</summary>
    /// <typeparam name="T">The progress type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <param name="codec">The worker's codec.</param>
    /// <returns>The progress.</returns>
    /// <exception cref="InvalidOperationException">The heartbeat carries no progress (an automatic liveness beat).</exception>
    /// <exception cref="PayloadCodecException">The progress does not decode as <typeparamref name="T"/>.</exception>
    public T GetProgress<T>(IPayloadCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        return ActivityResultExtensions.Decode(Progress(), codec.Decode<T>);
    }

    /// <summary>Decodes the JSON progress the activity reported, with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="T">The progress type.</typeparam>
    /// <param name="progressType">The progress type's JSON metadata.</param>
    /// <returns>The progress.</returns>
    /// <exception cref="InvalidOperationException">The heartbeat carries no progress (an automatic liveness beat).</exception>
    /// <exception cref="PayloadCodecException">The progress does not decode as <typeparamref name="T"/>.</exception>
    public T GetProgress<T>(JsonTypeInfo<T> progressType)
    {
        ArgumentNullException.ThrowIfNull(progressType);
        return ActivityResultExtensions.Decode(Progress(), payload => ActivityResultExtensions.DecodeJson(payload, progressType));
    }

    private Payload Progress() => Heartbeat.Progress
        ?? throw new InvalidOperationException($"The heartbeat for {WorkflowId}/{Position} carries no progress: it is an automatic liveness beat.");
}
