using System.Text.Json;
using Aion.Worker.Protocol;
using Google.Protobuf;

namespace Aion.Worker.Codec;

/// <summary>The default codec: System.Text.Json, content type <c>application/json</c>.</summary>
/// <remarks>Uses <see cref="JsonSerializerDefaults.Web"/> (camelCase, case-insensitive reads) unless other options are given.</remarks>
public sealed class JsonPayloadCodec : IPayloadCodec
{
    /// <summary>The one content type the Aion engine accepts: <c>application/json</c>.</summary>
    public const string JsonContentType = "application/json";

    /// <summary>A codec with the web defaults.</summary>
    public static JsonPayloadCodec Default { get; } = new();

    /// <summary>Creates a codec.</summary>
    /// <param name="options">Serializer options; default <see cref="JsonSerializerDefaults.Web"/>.</param>
    public JsonPayloadCodec(JsonSerializerOptions? options = null)
    {
        SerializerOptions = options ?? new JsonSerializerOptions(JsonSerializerDefaults.Web);
        SerializerOptions.MakeReadOnly(populateMissingResolver: true);
    }

    /// <summary>The serializer options in use.</summary>
    public JsonSerializerOptions SerializerOptions { get; }

    /// <inheritdoc />
    public string ContentType => JsonContentType;

    /// <inheritdoc />
    public Payload Encode<T>(T value)
    {
        byte[] bytes;
        try
        {
            bytes = JsonSerializer.SerializeToUtf8Bytes(value, SerializerOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new PayloadCodecException($"Could not encode a value of type {value?.GetType() ?? typeof(T)} as JSON: {ex.Message}", ex);
        }

        return new Payload { ContentType = JsonContentType, Bytes = UnsafeByteOperations.UnsafeWrap(bytes) };
    }

    /// <inheritdoc />
    public T Decode<T>(Payload payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        if (!string.Equals(payload.ContentType, JsonContentType, StringComparison.Ordinal))
        {
            throw new PayloadCodecException($"Cannot decode content type '{payload.ContentType}' as {typeof(T)}: this codec reads only '{JsonContentType}'.");
        }

        try
        {
            return JsonSerializer.Deserialize<T>(payload.Bytes.Span, SerializerOptions)!;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new PayloadCodecException($"Could not decode the JSON payload as {typeof(T)}: {ex.Message}", ex);
        }
    }
}
