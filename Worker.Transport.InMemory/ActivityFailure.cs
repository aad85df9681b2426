using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>An activity's failure exactly as the worker reports it to the engine.</summary>
/// <param name="Kind">Retryable (the engine may retry) or terminal.</param>
/// <param name="Message">The error message sent to the engine.</param>
/// <param name="Details">The encoded details of an <see cref="ActivityFailureException"/>, or <see langword="null"/>.</param>
public sealed record ActivityFailure(ActivityErrorKind Kind, string Message, Payload? Details)
{
    /// <summary>Whether the engine may retry the activity.</summary>
    public bool IsRetryable => Kind == ActivityErrorKind.Retryable;

    /// <summary>Decodes the failure's details with the reflection-based <see cref="JsonPayloadCodec.Default"/>.</summary>
    /// <typeparam name="T">The details type.</typeparam>
    /// <returns>The details.</returns>
    /// <exception cref="InvalidOperationException">The failure carries no details.</exception>
    /// <exception cref="PayloadCodecException">The details do not decode as <typeparamref name="T"/>.</exception>
    [RequiresUnreferencedCode(ActivityResultExtensions.ReflectionMessage)]
    [RequiresDynamicCode(ActivityResultExtensions.ReflectionMessage)]
    public T GetDetails<T>() => GetDetails<T>(JsonPayloadCodec.Default);

    /// <summary>Decodes the failure's details with the worker's codec.</summary>
    /// <typeparam name="T">The details type.</typeparam>
    /// <param name="codec">The worker's codec.</param>
    /// <returns>The details.</returns>
    /// <exception cref="InvalidOperationException">The failure carries no details.</exception>
    /// <exception cref="PayloadCodecException">The details do not decode as <typeparamref name="T"/>.</exception>
    public T GetDetails<T>(IPayloadCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        return ActivityResultExtensions.Decode(RequireDetails(), codec.Decode<T>);
    }

    /// <summary>Decodes the failure's JSON details with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="T">The details type.</typeparam>
    /// <param name="detailsType">The details type's JSON metadata.</param>
    /// <returns>The details.</returns>
    /// <exception cref="InvalidOperationException">The failure carries no details.</exception>
    /// <exception cref="PayloadCodecException">The details do not decode as <typeparamref name="T"/>.</exception>
    public T GetDetails<T>(JsonTypeInfo<T> detailsType)
    {
        ArgumentNullException.ThrowIfNull(detailsType);
        return ActivityResultExtensions.Decode(RequireDetails(), payload => ActivityResultExtensions.DecodeJson(payload, detailsType));
    }

    private Payload RequireDetails() => Details ?? throw new InvalidOperationException($"The failure carries no details (message: {Message}).");

    /// <summary>Reads the failure of a protocol error.</summary>
    /// <param name="error">The error.</param>
    /// <returns>The failure.</returns>
    public static ActivityFailure From(ActivityError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new ActivityFailure(error.Kind, error.Message, error.Details);
    }

    /// <inheritdoc />
    public override string ToString() => $"{(IsRetryable ? "retryable" : Kind == ActivityErrorKind.Terminal ? "terminal" : Kind.ToString())}: {Message}";
}
