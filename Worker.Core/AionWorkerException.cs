using Grpc.Core;

namespace Aion.Worker;

/// <summary>An error that ends a session or a worker run.</summary>
/// <remarks>
/// Only the gRPC codes <see cref="Grpc.Core.StatusCode.PermissionDenied"/> and
/// <see cref="Grpc.Core.StatusCode.Unauthenticated"/> (and an invalid bearer token) are non-retryable;
/// everything else — other statuses, transport failures, timeouts, decode errors — is retried.
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

    /// <summary>The gRPC status code, where the error has one.</summary>
    public StatusCode? StatusCode { get; }

    /// <summary>The gRPC status message exactly as received, where the error has one.</summary>
    public string? StatusDetail { get; }

    /// <summary>Whether reconnecting may help: false only for PermissionDenied, Unauthenticated and an invalid token.</summary>
    public bool IsRetryable => Kind != AionErrorKind.InvalidToken
        && StatusCode is not (Grpc.Core.StatusCode.PermissionDenied or Grpc.Core.StatusCode.Unauthenticated);

    /// <summary>Creates an error for a gRPC status, keeping its code and message unchanged.</summary>
    /// <param name="status">The status.</param>
    /// <param name="innerException">The underlying exception, if any.</param>
    /// <returns>An error of kind <see cref="AionErrorKind.Status"/>.</returns>
    public static AionWorkerException FromStatus(Status status, Exception? innerException = null) =>
        new(AionErrorKind.Status, $"The engine ended the call with status {status.StatusCode}: {status.Detail}", status.StatusCode, status.Detail, innerException ?? status.DebugException);
}
