using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Codec;
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

    /// <summary>Whether the activity returned a value (rather than failing).</summary>
    public bool Succeeded => Result.OutcomeCase == ActivityResult.OutcomeOneofCase.Result;

    /// <summary>Decodes the activity's output with the reflection-based <see cref="JsonPayloadCodec.Default"/>.</summary>
    /// <typeparam name="T">The output type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    [RequiresUnreferencedCode(ActivityResultExtensions.ReflectionMessage)]
    [RequiresDynamicCode(ActivityResultExtensions.ReflectionMessage)]
    public T GetOutput<T>() => Result.GetOutput<T>();

    /// <summary>Decodes the activity's output with the worker's codec.</summary>
    /// <typeparam name="T">The output type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <param name="codec">The worker's codec.</param>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    public T GetOutput<T>(IPayloadCodec codec) => Result.GetOutput<T>(codec);

    /// <summary>Decodes the activity's JSON output with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="T">The output type.</typeparam>
    /// <param name="outputType">The output's JSON metadata.</param>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    public T GetOutput<T>(JsonTypeInfo<T> outputType) => Result.GetOutput(outputType);

    /// <summary>The failure as the worker reported it: retryable or terminal, message and details.</summary>
    /// <returns>The failure.</returns>
    /// <exception cref="InvalidOperationException">The activity succeeded.</exception>
    public ActivityFailure GetFailure() => Result.GetFailure();
}
