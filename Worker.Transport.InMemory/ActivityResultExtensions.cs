using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>Typed access to the results the <see cref="InMemoryEngine"/> returns (<see cref="DispatchedTask.Result"/>), without calling the codec by hand.</summary>
public static class ActivityResultExtensions
{
    /// <summary>Decodes the activity's output.</summary>
    /// <typeparam name="T">The output type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <param name="result">The result.</param>
    /// <param name="codec">The worker's codec; default <see cref="JsonPayloadCodec.Default"/>.</param>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    public static T GetOutput<T>(this ActivityResult result, IPayloadCodec? codec = null)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.OutcomeCase switch
        {
            ActivityResult.OutcomeOneofCase.Result => Decode<T>(result.Result, codec),
            ActivityResult.OutcomeOneofCase.Error => throw new InvalidOperationException(
                $"The activity {result.WorkflowId?.Uuid}/{result.ActivityId?.SequencePosition} failed ({ActivityFailure.From(result.Error)}); it has no output."),
            _ => throw new InvalidOperationException("The result carries neither an output nor an error."),
        };
    }

    /// <summary>The failure as the worker reported it: retryable or terminal, message and details.</summary>
    /// <param name="result">The result.</param>
    /// <returns>The failure.</returns>
    /// <exception cref="InvalidOperationException">The activity succeeded.</exception>
    public static ActivityFailure GetFailure(this ActivityResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.OutcomeCase == ActivityResult.OutcomeOneofCase.Error
            ? ActivityFailure.From(result.Error)
            : throw new InvalidOperationException($"The activity {result.WorkflowId?.Uuid}/{result.ActivityId?.SequencePosition} succeeded; it has no failure.");
    }

    internal static T Decode<T>(Payload payload, IPayloadCodec? codec) =>
        typeof(T) == typeof(Payload) ? (T)(object)payload : (codec ?? JsonPayloadCodec.Default).Decode<T>(payload);
}
