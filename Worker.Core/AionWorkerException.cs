using Grpc.Core;

namespace Aion.Worker;

/// <summary>An error that ends a session or a worker run.</summary>
/// <remarks>
/// <para>
/// Only the gRPC codes <see cref="Grpc.Core.StatusCode.PermissionDenied"/> and
/// <see cref="Grpc.Core.StatusCode.Unauthenticated"/>, a server-certificate validation failure
/// (<see cref="AionErrorKind.Certificate"/>) and an invalid bearer token are non-retryable;
/// everything else — other statuses, connection failures, timeouts, decode errors — is retried.
/// </para>
/// <para>
/// Errors say who failed: <see cref="Kind"/> is <see cref="AionErrorKind.Status"/> only for a status
/// the engine sent. A failure on the worker's side — a connection that could not be opened or was
/// lost (<see cref="AionErrorKind.Connection"/>), a rejected certificate
/// (<see cref="AionErrorKind.Certificate"/>), a frame that could not be decoded
/// (<see cref="AionErrorKind.Protocol"/>) — has its own kind and message, even where the gRPC client
/// gave it a status.
/// </para>
/// </remarks>
public sealed class AionWorkerException : Exception
{
    /// <summary>Creates an error.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">A message for people.</param>
    /// <param name="statusCode">The gRPC status code, when the error carries one.</param>
    /// <param name="statusDetail">The gRPC status message, unchanged, when the error carries one.</param>
    /// <param name="innerException">The underlying exception.</param>
    public AionWorkerException(AionErrorKind kind, string message, StatusCode? statusCode = null, string? statusDetail = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        StatusDetail = statusDetail;
    }

    /// <summary>What went wrong.</summary>
    public AionErrorKind Kind { get; }

    /// <summary>The gRPC status code of the call, where the error has one.</summary>
    /// <value>
    /// With <see cref="AionErrorKind.Status"/> the engine sent it. With another kind the gRPC client made it up
    /// locally (e.g. <c>Unavailable</c> for a refused connection, <c>Internal</c> for a rejected certificate),
    /// kept unchanged for diagnostics: <see cref="Kind"/> and the message say what really happened.
    /// </value>
    public StatusCode? StatusCode { get; }

    /// <summary>The gRPC status message exactly as received, where the error has one.</summary>
    public string? StatusDetail { get; }

    /// <summary>Whether reconnecting may help: false only for PermissionDenied, Unauthenticated, a rejected server certificate and an invalid token.</summary>
    public bool IsRetryable => Kind is not (AionErrorKind.InvalidToken or AionErrorKind.Certificate)
        && StatusCode is not (Grpc.Core.StatusCode.PermissionDenied or Grpc.Core.StatusCode.Unauthenticated);

    /// <summary>Creates an error for a gRPC status, keeping its code and message unchanged.</summary>
    /// <param name="status">The status.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    /// <returns>An error of kind <see cref="AionErrorKind.Status"/>.</returns>
    public static AionWorkerException FromStatus(Status status, Exception? innerException = null) =>
        new(AionErrorKind.Status, $"The engine ended the call with status {status.StatusCode}: {status.Detail}", status.StatusCode, status.Detail, innerException ?? status.DebugException);
}
