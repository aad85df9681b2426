using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Protocol;
using Google.Protobuf;

namespace Aion.Worker.Codec;

/// <summary>The default codec: System.Text.Json, content type <c>application/json</c>.</summary>
/// <remarks>
/// <para>
/// Two kinds: <see cref="JsonPayloadCodec(JsonSerializerContext)"/> serializes with the metadata a
/// System.Text.Json source-generated context holds, and is safe to trim and to compile ahead of time
/// (native AOT); <see cref="JsonPayloadCodec(JsonSerializerOptions)"/> and <see cref="Default"/> use
/// reflection for the types the options do not describe.
/// </para>
/// <para>
/// A value declared as <see cref="object"/> (e.g. failure details) is written as its runtime type.
/// </para>
/// </remarks>
public sealed class JsonPayloadCodec : IPayloadCodec
{
    /// <summary>The one content type the Aion engine accepts: <c>application/json</c>.</summary>
    public const string JsonContentType = "application/json";

    internal const string ReflectionMessage =
        "Reflection-based JSON serialization may need types that trimming removes. Use a codec made from a JsonSerializerContext (new JsonPayloadCodec(MyJsonContext.Default)) or the AddActivity overloads that take JsonTypeInfo.";

    internal const string DynamicCodeMessage =
        "Reflection-based JSON serialization may need runtime code generation. Use a codec made from a JsonSerializerContext (new JsonPayloadCodec(MyJsonContext.Default)) or the AddActivity overloads that take JsonTypeInfo.";

    private static JsonPayloadCodec? _sharedDefault;

    /// <summary>
    /// A codec with the web defaults (<see cref="JsonSerializerDefaults.Web"/>: camelCase, case-insensitive
    /// reads) and reflection-based metadata, created on first use. The worker uses it when no codec is configured.
    /// </summary>
    public static JsonPayloadCodec Default
    {
        [RequiresUnreferencedCode(ReflectionMessage)]
        [RequiresDynamicCode(DynamicCodeMessage)]
        get => Volatile.Read(ref _sharedDefault) ?? CreateDefault();
    }

    /// <summary>Creates a reflection-based codec.</summary>
    /// <param name="options">Serializer options; default <see cref="JsonSerializerDefaults.Web"/>. Types their <see cref="JsonSerializerOptions.TypeInfoResolver"/> does not describe (all of them, when it is not set) use reflection.</param>
    [RequiresUnreferencedCode(ReflectionMessage)]
    [RequiresDynamicCode(DynamicCodeMessage)]
    public JsonPayloadCodec(JsonSerializerOptions? options = null)
    {
        SerializerOptions = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
        SerializerOptions.MakeReadOnly(populateMissingResolver: true);
    }

    /// <summary>Creates a codec that serializes only the types <paramref name="context"/> describes, with its options; safe for trimmed and native AOT apps.</summary>
    /// <param name="context">
    /// A source-generated context listing the input, result, progress and failure-details types
    /// (<c>[JsonSerializable(typeof(ChargeRequest))]</c>); declare
    /// <c>[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]</c> to match <see cref="Default"/>'s camelCase.
    /// </param>
    /// <remarks>A type the context does not describe fails to encode or decode with a <see cref="PayloadCodecException"/> naming it.</remarks>
    public JsonPayloadCodec(JsonSerializerContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        SerializerOptions = context.Options;
        SerializerOptions.MakeReadOnly();
    }

    // Web defaults with exactly this metadata.
    private JsonPayloadCodec(IJsonTypeInfoResolver resolver)
    {
        SerializerOptions = new JsonSerializerOptions(JsonSerializerDefaults.Web) { TypeInfoResolver = resolver };
        SerializerOptions.MakeReadOnly();
    }

    /// <summary>The serializer options in use (read-only).</summary>
    public JsonSerializerOptions SerializerOptions { get; }

    /// <inheritdoc />
    public string ContentType => JsonContentType;

    /// <summary>The worker's codec when none is configured: <see cref="Default"/> where reflection-based serialization is enabled, otherwise a codec without metadata that names each type it was not given.</summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026:RequiresUnreferencedCode", Justification = "Reflection is used only when JsonSerializer.IsReflectionEnabledByDefault is true, i.e. the app did not turn reflection-based JSON off (trimmed and native AOT apps do); the same rule as JsonSerializerOptions.Default.")]
    [UnconditionalSuppressMessage("AOT", "IL3050:RequiresDynamicCode", Justification = "As above: reflection is used only when JsonSerializer.IsReflectionEnabledByDefault is true.")]
    internal static JsonPayloadCodec WorkerDefault() =>
        JsonSerializer.IsReflectionEnabledByDefault
            ? Default
            : new JsonPayloadCodec(JsonTypeInfoResolver.Combine());

    /// <summary>Whether this codec has metadata for <paramref name="type"/> (with reflection, it has for every type).</summary>
    internal bool HasMetadataFor(Type type)
    {
        try
        {
            return SerializerOptions.TryGetTypeInfo(type, out _);
        }
        catch (Exception ex) when (ex is NotSupportedException or InvalidOperationException or ArgumentException)
        {
            // The type has metadata but it is unusable: reported per task, when it is decoded.
            return true;
        }
    }

    /// <inheritdoc />
    public Payload Encode<T>(T value)
    {
        byte[] bytes;
        try
        {
            if (typeof(T) != typeof(object))
            {
                bytes = JsonSerializer.SerializeToUtf8Bytes(value, (JsonTypeInfo<T>)SerializerOptions.GetTypeInfo(typeof(T)));
            }
            else
            {
                // Declared as object (failure details, anonymous progress): the runtime type's metadata.
                bytes = value is null ? "null"u8.ToArray() : JsonSerializer.SerializeToUtf8Bytes(value, SerializerOptions.GetTypeInfo(value.GetType()));
            }
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw EncodeFailed(value, ex);
        }

        return Wrap(bytes);
    }

    /// <inheritdoc />
    public T Decode<T>(Payload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        EnsureJson(payload, typeof(T));
        try
        {
            return JsonSerializer.Deserialize(payload.Bytes.Span, (JsonTypeInfo<T>)SerializerOptions.GetTypeInfo(typeof(T)))!;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw DecodeFailed(typeof(T), ex);
        }
    }

    /// <summary>Encodes with explicit metadata (a typed registration or heartbeat).</summary>
    internal static Payload Encode<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        try
        {
            return Wrap(JsonSerializer.SerializeToUtf8Bytes(value, typeInfo));
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw EncodeFailed(value, ex);
        }
    }

    /// <summary>Decodes with explicit metadata (a typed registration).</summary>
    internal static T Decode<T>(Payload payload, JsonTypeInfo<T> typeInfo)
    {
        EnsureJson(payload, typeof(T));
        try
        {
            return JsonSerializer.Deserialize(payload.Bytes.Span, typeInfo)!;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw DecodeFailed(typeof(T), ex);
        }
    }

    private static Payload Wrap(byte[] bytes) => new() { ContentType = JsonContentType, Bytes = UnsafeByteOperations.UnsafeWrap(bytes) };

    private static void EnsureJson(Payload payload, Type type)
    {
        if (!string.Equals(payload.ContentType, JsonContentType, StringComparison.Ordinal))
        {
            throw new PayloadCodecException($"Cannot decode content type '{payload.ContentType}' as {type}: this codec reads only '{JsonContentType}'.");
        }
    }

    private static PayloadCodecException EncodeFailed<T>(T value, Exception ex) =>
        new($"Could not encode a value of type {value?.GetType() ?? typeof(T)} as JSON: {ex.Message}", ex);

    private static PayloadCodecException DecodeFailed(Type type, Exception ex) =>
        new($"Could not decode the JSON payload as {type}: {ex.Message}", ex);

    [RequiresUnreferencedCode(ReflectionMessage)]
    [RequiresDynamicCode(DynamicCodeMessage)]
    private static JsonPayloadCodec CreateDefault()
    {
        var created = new JsonPayloadCodec();
        return Interlocked.CompareExchange(ref _sharedDefault, created, null) ?? created;
    }
}
