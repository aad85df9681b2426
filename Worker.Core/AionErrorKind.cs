namespace Aion.Worker;

/// <summary>What went wrong, for an <see cref="AionWorkerException"/>.</summary>
public enum AionErrorKind
{
    /// <summary>The engine or the transport ended the call with a gRPC status (see <see cref="AionWorkerException.StatusCode"/>).</summary>
    Status,

    /// <summary>The transport could not open or keep a connection (no gRPC status).</summary>
    Transport,

    /// <summary>An establishment try (connect, first write, headers, RegisterAck) did not finish within the register timeout.</summary>
    RegisterTimeout,

    /// <summary>An outbound send did not finish within the send timeout.</summary>
    SendTimeout,

    /// <summary>The engine sent a frame that breaks the protocol (a decode error).</summary>
    Protocol,

    /// <summary>The unacked-result tracker stayed full with no ack for the max backoff.</summary>
    UnackedResultsStalled,

    /// <summary>The drop budget ran out on clean closes: the server repeatedly closed the stream cleanly.</summary>
    ServerClosedRepeatedly,

    /// <summary>A bearer token (static or from the provider) is not valid metadata.</summary>
    InvalidToken,
}
