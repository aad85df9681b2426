using System.Security.Cryptography.X509Certificates;
using Aion.Worker.Internal;
using Aion.Worker.Transport.Grpc.Internal;
using Grpc.Core;
using Grpc.Net.Client;

namespace Aion.Worker.Transport.Grpc;

/// <summary>Opens worker streams (<c>/aion.WorkerProtocol/StreamWorker</c>) to a real Aion engine over Grpc.Net.Client.</summary>
/// <remarks>
/// <para>
/// Each <see cref="ConnectAsync"/> creates its own <see cref="GrpcChannel"/> over its own
/// <see cref="SocketsHttpHandler"/>, so every reconnect opens a <b>new HTTP/2 connection</b>; the
/// session disposes both when it ends. A reconnect follows a failure, and the old connection may be
/// the failure (a half-dead TCP connection, a server that sent GOAWAY, a restarted engine behind the
/// same address): reusing a pooled connection would retry on it. One connection per stream costs one
/// handshake per reconnect, which is nothing next to the backoff.
/// </para>
/// <para>
/// The registration is written before the response headers are awaited (the engine sends headers
/// only after it authorized that frame); in fact the transport never awaits headers. A refusal that
/// surfaces from the write or from the first read becomes an <see cref="RpcException"/> with the
/// engine's status either way.
/// </para>
/// <para>
/// Writes are batched: Grpc.Net.Client frames each message as usual, but into a buffer under the
/// request body rather than straight into the HTTP/2 stream; the session's <c>FlushAsync</c> — Core
/// calls it whenever its send queue runs empty — writes the buffer in one write and flushes it
/// (32 KiB buffered flush early). A burst of results leaves in one DATA frame and one socket write,
/// and a lone result leaves at once. The call, status and trailers, limits and errors stay
/// Grpc.Net.Client's.
/// </para>
/// <para>
/// Failures of Grpc.Net.Client itself (a refused connection, an unknown host, a TLS handshake, a
/// frame it cannot parse, a reset stream) come with a status it made up; the session reports them
/// as an <see cref="AionWorkerException"/> of kind <see cref="AionErrorKind.Connection"/>,
/// <see cref="AionErrorKind.Certificate"/> (non-retryable) or <see cref="AionErrorKind.Protocol"/>,
/// told apart by the exception chain, never as a status the engine sent.
/// </para>
/// <para>
/// The worker's send deadline and read cancellation only stop the wait; disposing the session is
/// what aborts the call. After the worker closed its side (a drain or shutdown), disposing first
/// gives the engine up to one second to end the call with its status, so the engine sees a clean
/// end of stream rather than a reset.
/// </para>
/// </remarks>
public sealed class GrpcWorkerTransport : IWorkerTransport
{
    private readonly Uri _endpoint;
    private readonly GrpcTransportOptions _options;

    /// <summary>Creates a transport to the engine at <paramref name="endpoint"/>.</summary>
    /// <param name="endpoint">An absolute <c>http://</c> (h2c) or <c>https://</c> (TLS) URI, e.g. <c>http://127.0.0.1:50051</c>.</param>
    /// <param name="options">Settings; default <see cref="GrpcTransportOptions"/>. A copy is kept.</param>
    /// <exception cref="ArgumentException">The endpoint is not an absolute http/https URI, or an option is invalid (all problems in one message).</exception>
    public GrpcWorkerTransport(Uri endpoint, GrpcTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var problems = new OptionProblems();
        var validEndpoint = endpoint.IsAbsoluteUri && (endpoint.Scheme == Uri.UriSchemeHttp || endpoint.Scheme == Uri.UriSchemeHttps);
        if (!validEndpoint)
        {
            problems.Add("Endpoint", $"must be an absolute http:// or https:// URI (was '{endpoint.OriginalString}').");
        }

        var copy = options?.Clone() ?? new GrpcTransportOptions();
        if (copy.TrustedCertificates is { } trusted)
        {
            // A copy, so adding to the caller's collection later changes nothing.
            copy.TrustedCertificates = [.. trusted];
        }

        problems.AddRange(copy.Validate());
        OptionProblems.ThrowIfAny(problems.ToList(), "The gRPC transport cannot be created", validEndpoint ? nameof(options) : nameof(endpoint));

        _endpoint = endpoint;
        _options = copy;
    }

    /// <summary>The engine's address.</summary>
    public Uri Endpoint => _endpoint;

    /// <inheritdoc />
    public ValueTask<IWorkerSession> ConnectAsync(WorkerSessionMetadata metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        cancellationToken.ThrowIfCancellationRequested();

        var body = new CoalescingRequestBody();
        var channel = CreateChannel(body, out var certificates);
        try
        {
            var headers = new Metadata
            {
                { WorkerSessionMetadata.Headers.Namespaces, metadata.NamespacesHeader },
                { WorkerSessionMetadata.Headers.Subject, metadata.Subject },
            };
            if (metadata.BearerToken is { } token)
            {
                // Call metadata rather than CallCredentials: Grpc.Net.Client drops credentials on h2c.
                headers.Add(WorkerSessionMetadata.Headers.Authorization, "Bearer " + token);
            }

            // No deadline and no token: the stream lives as long as the session; DisposeAsync aborts it.
            var call = channel.CreateCallInvoker().AsyncDuplexStreamingCall(StreamWorkerMethod.Instance, null, new CallOptions(headers));
            return ValueTask.FromResult<IWorkerSession>(new GrpcWorkerSession(channel, call, body, _options.MaxSendMessageSize, _endpoint, certificates));
        }
        catch
        {
            channel.Dispose();
            throw;
        }
    }

    /// <summary>A new channel over a new handler: one HTTP/2 connection for one session.</summary>
    private GrpcChannel CreateChannel(CoalescingRequestBody body, out ServerCertificateCheck? certificates)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = false,
            KeepAlivePingDelay = _options.KeepAlivePingDelay,
            KeepAlivePingTimeout = _options.KeepAlivePingTimeout,
            KeepAlivePingPolicy = _options.KeepAlivePingPolicy,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        if (_options.ClientCertificate is { } certificate)
        {
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { certificate };
        }

        _options.ConfigureHttpHandler?.Invoke(handler);
        certificates = null;
        if (_endpoint.Scheme == Uri.UriSchemeHttps)
        {
            // Wraps whichever check applies (a callback set by ConfigureHttpHandler wins) so a rejection is reported as one.
            var ssl = handler.SslOptions;
            certificates = new ServerCertificateCheck(_options.TrustedCertificates, ssl.RemoteCertificateValidationCallback, ssl.CertificateRevocationCheckMode);
            ssl.RemoteCertificateValidationCallback = certificates.Validate;
        }

        HttpMessageHandler outer = handler;
        if (_options.WrapHttpHandler is { } wrap)
        {
            outer = wrap(handler) ?? throw new InvalidOperationException("GrpcTransportOptions.WrapHttpHandler returned null.");
        }

        return GrpcChannel.ForAddress(_endpoint, new GrpcChannelOptions
        {
            // Outermost: whatever a wrapping handler does, Grpc.Net.Client's request content is written through the coalescing body.
            HttpHandler = new CoalescingRequestBody.Handler(outer, body),
            DisposeHttpClient = true,
            MaxSendMessageSize = _options.MaxSendMessageSize,
            MaxReceiveMessageSize = _options.MaxReceiveMessageSize,
        });
    }
}
