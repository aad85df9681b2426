using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using Aion.Worker.Internal;

namespace Aion.Worker.Transport.Grpc;

/// <summary>Settings of the gRPC transport (<see cref="GrpcWorkerBuilderExtensions.UseGrpc"/>).</summary>
/// <remarks>
/// Every connect (the first one and each reconnect) builds a fresh HTTP/2 connection from these
/// settings. The values are validated when <see cref="GrpcWorkerBuilderExtensions.UseGrpc"/> runs.
/// </remarks>
public sealed class GrpcTransportOptions
{
    /// <summary>The default of <see cref="MaxSendMessageSize"/>: 4 MiB, the gRPC and Aion engine default.</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

    /// <summary>The default of <see cref="MaxReceiveMessageSize"/>: a 64 MiB wire cap, so that a task over <see cref="AionWorkerOptions.MaxTaskInputSize"/> is read and reported as a failure instead of ending the session.</summary>
    public const int DefaultMaxReceiveMessageSize = 64 * 1024 * 1024;

    /// <summary>The largest frame the transport writes, in bytes.</summary>
    /// <value>Default 4 MiB; at least 1.</value>
    /// <remarks>
    /// The worker checks every outbound frame against <see cref="AionWorkerOptions.MaxSendMessageSize"/>
    /// first and replaces a result that is too large by a terminal failure. Keep this limit at least as
    /// large as that option: a frame the worker let through but this limit rejects ends the session
    /// (ResourceExhausted) instead.
    /// </remarks>
    public int MaxSendMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>The largest frame the transport accepts from the engine, in bytes.</summary>
    /// <value>Default 64 MiB (<see cref="DefaultMaxReceiveMessageSize"/>), the wire cap; at least 1.</value>
    /// <remarks>
    /// A larger frame is a decode error: the session ends with a retryable <see cref="AionErrorKind.Protocol"/> error.
    /// A frame under this cap whose task input is over <see cref="AionWorkerOptions.MaxTaskInputSize"/> (4 MiB by
    /// default) is read, and the task is reported as a TERMINAL failure with its ids; the session goes on.
    /// </remarks>
    public int MaxReceiveMessageSize { get; set; } = DefaultMaxReceiveMessageSize;

    /// <summary>A client certificate presented on <c>https://</c> endpoints (mutual TLS).</summary>
    /// <value>Default none. Ignored on <c>http://</c> (h2c).</value>
    /// <remarks>It must carry its private key. An engine that rejects it (or requires one and gets none) ends the
    /// handshake: a retryable <see cref="AionErrorKind.Connection"/> error, as the engine may be reconfigured.</remarks>
    public X509Certificate2? ClientCertificate { get; set; }

    /// <summary>
    /// The certificate authorities the engine's TLS certificate must chain to on <c>https://</c>
    /// endpoints: a custom trust store (a private CA) that replaces the platform's.
    /// </summary>
    /// <value>
    /// Default <see langword="null"/>: the platform's trust store and validation. When set, it must hold at
    /// least one certificate. Ignored on <c>http://</c> (h2c). The transport keeps its own copy of the collection.
    /// </value>
    /// <remarks>
    /// <para>
    /// When set, the engine's certificate is accepted only if its chain ends at one of these certificates
    /// (the platform's roots are not consulted; intermediates the engine does not send may be added here
    /// too), it is within its validity period, it is valid for server authentication, and its subject
    /// alternative names match the endpoint's host (a DNS name, or the IP address of an IP endpoint):
    /// the name check stays. No validation callback needs to be written.
    /// </para>
    /// <para>
    /// <b>Certificate failures are final.</b> Whatever the trust store, an engine certificate the worker
    /// rejects (untrusted, expired, wrong name) fails the run after one try with a non-retryable
    /// <see cref="AionWorkerException"/> of kind <see cref="AionErrorKind.Certificate"/> whose message names
    /// the certificate and the problem (e.g. <c>UntrustedRoot</c>, <c>NotTimeValid</c>,
    /// <c>RemoteCertificateNameMismatch</c>) — also under <see cref="ReconnectOptions.RetryFirstConnectForever"/>:
    /// retrying cannot fix a trust problem.
    /// </para>
    /// <para>
    /// A <see cref="System.Net.Security.SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/>
    /// set through <see cref="ConfigureHttpHandler"/> replaces this check (and the platform's); when it
    /// returns false, that is a certificate failure too.
    /// </para>
    /// </remarks>
    public X509Certificate2Collection? TrustedCertificates { get; set; }

    /// <summary>The delay of inactivity after which the client sends an HTTP/2 PING to check the connection.</summary>
    /// <value>Default 30 s; at least 1 s, or <see cref="Timeout.InfiniteTimeSpan"/> to disable keep-alive pings.</value>
    /// <remarks>
    /// A worker's stream can be silent for a long time (no tasks, nothing running); pings detect a
    /// connection that died silently (a NAT or load balancer dropping it) so the worker reconnects
    /// instead of waiting forever. Keep it above the engine's minimum ping interval, or the engine may
    /// answer with GOAWAY (too many pings).
    /// </remarks>
    public TimeSpan KeepAlivePingDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the client waits for the answer to a keep-alive PING before it closes the connection.</summary>
    /// <value>Default 20 s; at least 1 s, or <see cref="Timeout.InfiniteTimeSpan"/>.</value>
    /// <remarks>When the connection closes, the stream fails and the worker reconnects (a retryable drop).</remarks>
    public TimeSpan KeepAlivePingTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>When keep-alive pings are sent.</summary>
    /// <value>Default <see cref="HttpKeepAlivePingPolicy.Always"/>: a worker's connection carries exactly one long-lived stream, which is always active while connected.</value>
    public HttpKeepAlivePingPolicy KeepAlivePingPolicy { get; set; } = HttpKeepAlivePingPolicy.Always;

    /// <summary>Customises the <see cref="SocketsHttpHandler"/> built for each connection (proxy, TLS validation, connect timeout…).</summary>
    /// <value>Default none. Called once per connect, after the settings above were applied.</value>
    /// <remarks>
    /// A <see cref="System.Net.Security.SslClientAuthenticationOptions.RemoteCertificateValidationCallback"/> set here
    /// decides about the engine's certificate instead of <see cref="TrustedCertificates"/>; the transport wraps it
    /// only to report its rejection as a final <see cref="AionErrorKind.Certificate"/> error.
    /// </remarks>
    public Action<SocketsHttpHandler>? ConfigureHttpHandler { get; set; }

    /// <summary>Wraps the handler of each connection, e.g. in a <see cref="DelegatingHandler"/> for logging or fault injection.</summary>
    /// <value>Default none. Called once per connect; must return a new handler each time (it is disposed with the session).</value>
    public Func<HttpMessageHandler, HttpMessageHandler>? WrapHttpHandler { get; set; }

    /// <summary>A copy of these settings.</summary>
    /// <returns>The copy.</returns>
    public GrpcTransportOptions Clone() => (GrpcTransportOptions)MemberwiseClone();

    /// <summary>Checks these settings against every rule, without creating a transport.</summary>
    /// <returns>One line per problem, naming the setting, its rule and the value it had; empty when the settings are valid.</returns>
    /// <remarks><see cref="GrpcWorkerTransport"/> runs the same checks and throws one exception listing every problem.</remarks>
    public IReadOnlyList<string> Validate()
    {
        var problems = new OptionProblems();
        problems.AtLeast(nameof(MaxSendMessageSize), MaxSendMessageSize, 1, "byte");
        problems.AtLeast(nameof(MaxReceiveMessageSize), MaxReceiveMessageSize, 1, "byte");
        if (TrustedCertificates is { Count: 0 })
        {
            problems.Add(nameof(TrustedCertificates), "must hold at least one certificate, or be null to use the platform's trust store (was empty).");
        }

        CheckPing(problems, nameof(KeepAlivePingDelay), KeepAlivePingDelay);
        CheckPing(problems, nameof(KeepAlivePingTimeout), KeepAlivePingTimeout);
        return problems.ToList();
    }

    private static void CheckPing(OptionProblems problems, string name, TimeSpan value)
    {
        if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.FromSeconds(1) || value.TotalMilliseconds > int.MaxValue))
        {
            problems.Add(name, string.Create(CultureInfo.InvariantCulture, $"must be between 1 s and {int.MaxValue} ms, or Timeout.InfiniteTimeSpan (was {value})."));
        }
    }
}
