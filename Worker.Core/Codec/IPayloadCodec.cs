using Aion.Worker.Protocol;

namespace Aion.Worker.Codec;

/// <summary>Turns activity inputs, outputs, progress and failure details into payloads and back.</summary>
public interface IPayloadCodec
{
    /// <summary>The content type of every payload this codec produces.</summary>
    string ContentType { get; }

    /// <summary>Encodes <paramref name="value"/>.</summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>A payload tagged <see cref="ContentType"/>.</returns>
    Payload Encode<T>(T value);

    /// <summary>Decodes <paramref name="payload"/> into <typeparamref name="T"/>.</summary>
    /// <typeparam name="T">The wanted type.</typeparam>
    /// <param name="payload">The payload.</param>
    /// <returns>The value.</returns>
    /// <exception cref="PayloadCodecException">The content type is not one this codec reads, or the bytes do not decode.</exception>
    T Decode<T>(Payload payload);
}
