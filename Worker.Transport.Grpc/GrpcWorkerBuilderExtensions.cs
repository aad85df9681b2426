using Aion.Worker.Transport.Grpc;

namespace Aion.Worker;

/// <summary>Connects a worker to a real Aion engine over gRPC.</summary>
public static class GrpcWorkerBuilderExtensions
{
    /// <summary>Serves the Aion engine at <paramref name="endpoint"/> over gRPC (HTTP/2).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="endpoint">
    /// An absolute URI: <c>http://host:port</c> for plaintext HTTP/2 (h2c, the engine's default, e.g.
    /// <c>http://127.0.0.1:50051</c>) or <c>https://host:port</c> for TLS, validated by the platform's trust store
    /// or by <see cref="GrpcTransportOptions.TrustedCertificates"/>.
    /// </param>
    /// <param name="configure">Adjusts the <see cref="GrpcTransportOptions"/> (message sizes, trusted CAs, client certificate, keep-alive, handler hooks).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">
    /// Thrown here, immediately (before <see cref="AionWorkerBuilder.Build"/>), when the endpoint is not an
    /// absolute <c>http://</c> or <c>https://</c> URI or a transport option is invalid; the message names every problem.
    /// </exception>
    /// <remarks>
    /// The namespaces, subject and bearer token of <see cref="AionWorkerOptions"/> travel as the call
    /// metadata <c>x-aion-namespaces</c>, <c>x-aion-subject</c> and <c>authorization: Bearer …</c>
    /// (on h2c too). Every reconnect opens a new HTTP/2 connection.
    /// Errors say who failed: a status the engine sent is <see cref="AionErrorKind.Status"/>; a connection the
    /// worker could not open or lost is <see cref="AionErrorKind.Connection"/> (retryable); an engine certificate
    /// that fails validation is <see cref="AionErrorKind.Certificate"/>, final after one try (also under
    /// <see cref="ReconnectOptions.RetryFirstConnectForever"/>); a frame the worker could not decode is
    /// <see cref="AionErrorKind.Protocol"/> (retryable).
    /// </remarks>
    public static AionWorkerBuilder UseGrpc(this AionWorkerBuilder builder, Uri endpoint, Action<GrpcTransportOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(endpoint);
        var options = new GrpcTransportOptions();
        configure?.Invoke(options);
        return builder.UseTransport(new GrpcWorkerTransport(endpoint, options));
    }
}
