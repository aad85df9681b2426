using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>Typed access to the results the <see cref="InMemoryEngine"/> returns (<see cref="DispatchedTask.Result"/>), without calling the codec by hand.</summary>
public static class ActivityResultExtensions
{
    /// <summary>Decodes the activity's output with the reflection-based <see cref="JsonPayloadCodec.Default"/>.</summary>
    /// <typeparam name="T">The output type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <param name="result">The result.</param>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    [RequiresUnreferencedCode(ReflectionMessage)]
    [RequiresDynamicCode(ReflectionMessage)]
    public static T GetOutput<T>(this ActivityResult result) => result.GetOutput<T>(JsonPayloadCodec.Default);

    /// <summary>Decodes the activity's output with the worker's codec.</summary>
    /// <typeparam name="T">The output type (<see cref="Payload"/> for the raw payload).</typeparam>
    /// <param name="result">The result.</param>
    /// <param name="codec">The worker's codec.</param>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    public static T GetOutput<T>(this ActivityResult result, IPayloadCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        return Decode(Output(result), codec.Decode<T>);
    }

    /// <summary>Decodes the activity's JSON output with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="T">The output type.</typeparam>
    /// <param name="result">The result.</param>
    /// <param name="outputType">The output's JSON metadata, e.g. <c>MyJsonContext.Default.Receipt</c>.</param>
    /// <returns>The output.</returns>
    /// <exception cref="InvalidOperationException">The activity failed; the message says how.</exception>
    /// <exception cref="PayloadCodecException">The output does not decode as <typeparamref name="T"/>.</exception>
    public static T GetOutput<T>(this ActivityResult result, JsonTypeInfo<T> outputType)
    {
        ArgumentNullException.ThrowIfNull(outputType);
        return Decode(Output(result), payload => DecodeJson(payload, outputType));
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

    internal const string ReflectionMessage =
        "Decodes with reflection-based JSON. In trimmed or native AOT apps pass a JsonTypeInfo or a codec made from a JsonSerializerContext.";

    /// <summary>The raw payload for <see cref="Payload"/>, otherwise what <paramref name="decode"/> makes of it.</summary>
    internal static T Decode<T>(Payload payload, Func<Payload, T> decode) =>
        typeof(T) == typeof(Payload) ? (T)(object)payload : decode(payload);

    internal static T DecodeJson<T>(Payload payload, JsonTypeInfo<T> type)
    {
        if (!string.Equals(payload.ContentType, JsonPayloadCodec.JsonContentType, StringComparison.Ordinal))
        {
            throw new PayloadCodecException($"Cannot decode content type '{payload.ContentType}' as {typeof(T)}: JSON metadata reads only '{JsonPayloadCodec.JsonContentType}'.");
        }

        try
        {
            return JsonSerializer.Deserialize(payload.Bytes.Span, type)!;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new PayloadCodecException($"Could not decode the JSON payload as {typeof(T)}: {ex.Message}", ex);
        }
    }

    private static Payload Output(ActivityResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return result.OutcomeCase switch
        {
            ActivityResult.OutcomeOneofCase.Result => result.Result,
            ActivityResult.OutcomeOneofCase.Error => throw new InvalidOperationException(
                $"The activity {result.WorkflowId?.Uuid}/{result.ActivityId?.SequencePosition} failed ({ActivityFailure.From(result.Error)}); it has no output."),
            _ => throw new InvalidOperationException("The result carries neither an output nor an error."),
        };
    }
}
