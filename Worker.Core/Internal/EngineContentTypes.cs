using Aion.Worker.Codec;

namespace Aion.Worker.Internal;

/// <summary>The payload content types the Aion engine accepts: what a transport accepts unless it says otherwise.</summary>
internal static class EngineContentTypes
{
    /// <summary>Only <c>application/json</c>.</summary>
    public static readonly IReadOnlyCollection<string> Default = [JsonPayloadCodec.JsonContentType];
}
