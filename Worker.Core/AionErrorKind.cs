namespace Aion.Worker;

/// <summary>What went wrong, for an <see cref="AionWorkerException"/>.</summary>
public enum AionErrorKind
{
    /// <summary>The engine ended the call with a gRPC status it sent (see <see cref="AionWorkerException.StatusCode"/>).</summary>
    Status,

    /// <summary>The transport failed on the worker's side in a way no other kind describes (a local limit, an unexpected client failure); retryable.</summary>
    Transport,

    /// <summary>An establishment try (connect, first write, headers, RegisterAck) did not finish within the register timeout.</summary>
    RegisterTimeout,

    /// <summary>An outbound send did not finish within the send timeout.</summary>
    SendTimeout,

    /// <summary>The engine sent a frame that breaks the protocol, or that the worker could not decode (a decode error); retryable.</summary>
    Protocol,

    /// <summary>The unacked-result tracker stayed full with no ack for the max backoff.</summary>
    UnackedResultsStalled,

    /// <summary>The drop budget ran out on clean closes: the server repeatedly closed the stream cleanly.</summary>
    ServerClosedRepeatedly,

    /// <summary>A bearer token (static or from the provider) is not valid metadata; non-retryable.</summary>
    InvalidToken,

    /// <summary>
    /// The worker could not reach the engine or lost its connection: a refused connection, an unknown host, a TLS
    /// handshake that failed for a reason other than the engine's certificate, a connection that broke; retryable.
    /// The message says which; no status was sent by the engine.
    /// </summary>
    Connection,

    /// <summary>
    /// The engine's TLS certificate failed validation (untrusted, expired, wrong name); non-retryable, also under
    /// <see cref="ReconnectOptions.RetryFirstConnectForever"/>: retrying cannot fix a trust problem. The message names
    /// the certificate and the problem.
    /// </summary>
    Certificate,

    /// <summary>The bearer token provider threw; retryable (the next try asks it again). The message names only the exception's type.</summary>
    TokenProvider,
}
