using Aion.Worker.Transport.Grpc;

namespace Aion.Worker;

/// <summary>Connects a worker to a real Aion engine over gRPC.</summary>
public static class GrpcWorkerBuilderExtensions
{
    /// <summary>Serves the Aion engine at <paramref name="endpoint"/> over gRPC (HTTP/2).</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="endpoint">
    /// An absolute URI: <c>http://host:port</c> for plaintext HTTP/2 (h2c, the engine's default, e.g.
    /// <c>http://127.0.0.1:50051</c>) or <c>https://host:port</c> for TLS with the platform's certificate validation.
    /// </param>
    /// <param name="configure">Adjusts the <see cref="GrpcTransportOptions"/> (message sizes, client certificate, keep-alive, handler hooks).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentException">
    /// Thrown here, immediately (before <see cref="AionWorkerBuilder.Build"/>), when the endpoint is not an
    /// absolute <c>http://</c> or <c>https://</c> URI or a transport option is invalid; the message names every problem.
    /// </exception>
    /// <remarks>
    /// The namespaces, subject and bearer token of <see cref="AionWorkerOptions"/> travel as the call
    /// metadata <c>x-aion-namespaces</c>, <c>x-aion-subject</c> and <c>authorization: Bearer …</c>
    /// (on h2c too). Every reconnect opens a new HTTP/2 connection.
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
