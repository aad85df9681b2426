using Aion.Worker.Protocol;

namespace Aion.Worker.Transport;

/// <summary>What an <see cref="InboundFrame"/> holds.</summary>
public enum InboundFrameKind
{
    /// <summary>The engine ended the stream with status OK.</summary>
    EndOfStream,

    /// <summary>A decoded <see cref="ServerToWorker"/> frame.</summary>
    Message,

    /// <summary>A frame the transport could not decode, with its bytes and size.</summary>
    Undecodable,
}
