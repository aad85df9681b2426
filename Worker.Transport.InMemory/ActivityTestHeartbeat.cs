using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>A progress heartbeat an activity sent in <see cref="ActivityTestEnvironment"/>, exactly as the worker would send it.</summary>
public sealed class ActivityTestHeartbeat
{
    private readonly IPayloadCodec _codec;

    internal ActivityTestHeartbeat(Heartbeat heartbeat, int index, DateTimeOffset sentAt, IPayloadCodec codec)
    {
        Heartbeat = heartbeat;
        Index = index;
        SentAt = sentAt;
        _codec = codec;
    }

    /// <summary>The heartbeat frame (workflow id, activity id, progress).</summary>
    public Heartbeat Heartbeat { get; }

    /// <summary>Its place among the run's heartbeats, from 0.</summary>
    public int Index { get; }

    /// <summary>The environment clock's time when the activity sent it.</summary>
    public DateTimeOffset SentAt { get; }

    /// <summary>The encoded progress.</summary>
    public Payload Progress => Heartbeat.Progress;

    /// <summary>Decodes the progress with the environment's codec (the worker's).</summary>
    /// <typeparam name="T">The progress type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <returns>The progress.</returns>
    /// <exception cref="PayloadCodecException">The progress does not decode as <typeparamref name="T"/>.</exception>
    public T GetProgress<T>() => ActivityResultExtensions.Decode(Progress, _codec.Decode<T>);

    /// <summary>Decodes the JSON progress with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="T">The progress type.</typeparam>
    /// <param name="progressType">The progress type's JSON metadata.</param>
    /// <returns>The progress.</returns>
    /// <exception cref="PayloadCodecException">The progress does not decode as <typeparamref name="T"/>.</exception>
    public T GetProgress<T>(JsonTypeInfo<T> progressType)
    {
        ArgumentNullException.ThrowIfNull(progressType);
        return ActivityResultExtensions.Decode(Progress, payload => ActivityResultExtensions.DecodeJson(payload, progressType));
    }

    /// <inheritdoc />
    public override string ToString() => $"heartbeat {Index} at {SentAt:O}: {Progress.Bytes.Length} bytes of {Progress.ContentType}";
}
