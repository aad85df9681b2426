using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>The outcome of an activity run by <see cref="ActivityTestEnvironment"/>, exactly as the worker would report it to the engine.</summary>
public sealed class ActivityTestResult
{
    private readonly IPayloadCodec _codec;

    internal ActivityTestResult(ActivityTask task, ActivityResult result, IReadOnlyList<ActivityTestHeartbeat> heartbeats, IPayloadCodec codec)
    {
        Task = task;
        Result = result;
        Heartbeats = heartbeats;
        _codec = codec;
    }

    /// <summary>The task as the activity received it.</summary>
    public ActivityTask Task { get; }

    /// <summary>The result frame the worker would send: the output, or the error with its kind, message and details.</summary>
    public ActivityResult Result { get; }

    /// <summary>Whether the activity returned a value (rather than failing).</summary>
    public bool Succeeded => Result.OutcomeCase == ActivityResult.OutcomeOneofCase.Result;

    /// <summary>The progress heartbeats the activity sent, in order.</summary>
    public IReadOnlyList<ActivityTestHeartbeat> Heartbeats { get; }

    /// <summary>Decodes the output with the environment's codec (the worker's).</summary>
    /// <typeparam name="T">The output type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    public T GetOutput<T>() => Result.GetOutput<T>(_codec);

    /// <summary>Decodes the JSON output with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="T">The output type.</typeparam>
    /// <param name="outputType">The output's JSON metadata.</param>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    public T GetOutput<T>(JsonTypeInfo<T> outputType) => Result.GetOutput(outputType);

    /// <summary>The failure as the worker would report it: retryable or terminal, message and details.</summary>
    /// <returns>The failure.</returns>
    /// <exception cref="InvalidOperationException">The activity succeeded.</exception>
    public ActivityFailure GetFailure() => Result.GetFailure();

    /// <inheritdoc />
    public override string ToString() =>
        $"{Task.ActivityType} {Task.WorkflowId.Uuid}/{Task.ActivityId.SequencePosition} attempt {Task.Attempt}: {(Succeeded ? "succeeded" : GetFailure().ToString())}";
}
