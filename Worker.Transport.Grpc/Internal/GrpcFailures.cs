using System.Net.Sockets;
using System.Security.Authentication;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Transport.Grpc.Internal;

/// <summary>
/// Says who failed. Grpc.Net.Client reports failures of its own — a refused connection, an unknown
/// host, a rejected TLS certificate, a frame it cannot parse, a connection that broke — as an
/// <see cref="RpcException"/> with a status it made up locally (Unavailable, Internal), the cause in
/// <see cref="Status.DebugException"/>; sometimes the cause escapes unwrapped. Those become an
/// <see cref="AionWorkerException"/> that names what happened; only a status the engine really sent
/// (no local cause) stays an <see cref="RpcException"/>, which the worker reports as the engine's.
/// </summary>
internal static class GrpcFailures
{
    /// <summary>The failure as the worker should see it.</summary>
    /// <param name="error">What the gRPC call threw.</param>
    /// <param name="endpoint">The engine's address, for the message.</param>
    /// <param name="certificates">The connection's certificate check, which knows whether it rejected the engine's certificate.</param>
    /// <param name="answered">Whether the engine had sent a frame on this call (a broken connection is then "lost", not "could not connect").</param>
    public static Exception Map(Exception error, Uri endpoint, ServerCertificateCheck? certificates, bool answered)
    {
        switch (error)
        {
            case AionWorkerException or OperationCanceledException:
                return error;
            case RpcException { StatusCode: StatusCode.OK }:
                return error;
            case RpcException rpc when rpc.Status.DebugException is { } cause:
                return Local(cause, rpc.Status, endpoint, certificates, answered) ?? new AionWorkerException(
                    AionErrorKind.Transport,
                    $"The gRPC client failed the call to the engine at {endpoint} locally (status {rpc.StatusCode}): {rpc.Status.Detail}",
                    rpc.StatusCode,
                    rpc.Status.Detail,
                    rpc);
            case RpcException:
                // A status the engine (or a proxy in front of it) sent: the worker reports it as such.
                return error;
            default:
                return Local(error, null, endpoint, certificates, answered) ?? error;
        }
    }

    /// <summary>Classifies a failure that happened on this side of the wire; <see langword="null"/> when it is none of the known kinds.</summary>
    private static AionWorkerException? Local(Exception cause, Status? status, Uri endpoint, ServerCertificateCheck? certificates, bool answered)
    {
        var code = status?.StatusCode;
        var detail = status?.Detail;
        if (Find<AuthenticationException>(cause) is { } tls)
        {
            if (certificates?.Rejection is { } problem)
            {
                return new AionWorkerException(
                    AionErrorKind.Certificate,
                    $"The engine's TLS certificate at {endpoint} was rejected: {problem}. A certificate failure is final: the worker does not retry it.",
                    code,
                    detail,
                    cause);
            }

            return new AionWorkerException(
                AionErrorKind.Connection,
                $"The TLS handshake with the engine at {endpoint} failed: {tls.Message}",
                code,
                detail,
                cause);
        }

        if (Find<InvalidProtocolBufferException>(cause) is { } decode)
        {
            return new AionWorkerException(
                AionErrorKind.Protocol,
                $"The worker could not decode a frame the engine at {endpoint} sent: {decode.Message}",
                code,
                detail,
                cause);
        }

        if (Find<HttpProtocolException>(cause) is { } reset)
        {
            // An HTTP/2 stream or connection error (RST_STREAM, GOAWAY): the peer's doing, but no gRPC status.
            return new AionWorkerException(
                AionErrorKind.Connection,
                $"The HTTP/2 stream to the engine at {endpoint} was reset, with no gRPC status: {reset.Message}",
                code,
                detail,
                cause);
        }

        if (Find<SocketException>(cause) is { } socket)
        {
            return Connection(endpoint, answered, $"{socket.Message} ({socket.SocketErrorCode})", code, detail, cause);
        }

        if (Find<HttpRequestException>(cause) is { } request)
        {
            return Connection(endpoint, answered, Innermost(request), code, detail, cause);
        }

        if (Find<IOException>(cause) is { } io)
        {
            return Connection(endpoint, answered, Innermost(io), code, detail, cause);
        }

        return null;
    }

    private static AionWorkerException Connection(Uri endpoint, bool answered, string what, StatusCode? code, string? detail, Exception cause) => new(
        AionErrorKind.Connection,
        answered
            ? $"The connection to the engine at {endpoint} was lost: {what}"
            : $"Could not connect to the engine at {endpoint}: {what}",
        code,
        detail,
        cause);

    /// <summary>The first exception of type <typeparamref name="T"/> in the chain of inner exceptions.</summary>
    private static T? Find<T>(Exception? error)
        where T : Exception
    {
        for (var depth = 0; error is not null && depth < 16; depth++)
        {
            if (error is T found)
            {
                return found;
            }

            error = error is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : error.InnerException;
        }

        return null;
    }

    /// <summary>
    /// The messages from <paramref name="error"/> down its inner exceptions, without repeats and without
    /// wrappers that add nothing ("An error occurred while sending the request", "see inner exception",
    /// an object disposed while the connection was torn down).
    /// </summary>
    private static string Innermost(Exception error)
    {
        var parts = new List<string>();
        for (var (e, depth) = (error, 0); e is not null && depth < 8; e = e.InnerException, depth++)
        {
            if (e is ObjectDisposedException || (e.InnerException is not null && e.GetType() == typeof(HttpRequestException) && e.Message.StartsWith("An error occurred while sending the request", StringComparison.Ordinal)))
            {
                continue;
            }

            var message = e.Message.Replace(", see inner exception.", ".", StringComparison.Ordinal).Trim();
            if (message.Length > 0 && !parts.Contains(message))
            {
                parts.Add(message);
            }
        }

        return parts.Count == 0 ? error.Message : string.Join(" ", parts);
    }
}
