using System.Net.Http;
using System.Security.Cryptography.X509Certificates;

namespace Aion.Worker.Transport.Grpc;

/// <summary>Settings of the gRPC transport (<see cref="GrpcWorkerBuilderExtensions.UseGrpc"/>).</summary>
/// <remarks>
/// Every connect (the first one and each reconnect) builds a fresh HTTP/2 connection from these
/// settings. The values are validated when <see cref="GrpcWorkerBuilderExtensions.UseGrpc"/> runs.
/// </remarks>
public sealed class GrpcTransportOptions
{
    /// <summary>The default of <see cref="MaxSendMessageSize"/> and <see cref="MaxReceiveMessageSize"/>: 4 MiB, the gRPC and Aion engine default.</summary>
    public const int DefaultMaxMessageSize = 4 * 1024 * 1024;

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
    /// <value>Default 4 MiB (the engine sends at most that); at least 1.</value>
    /// <remarks>A larger frame is a decode error: the session ends with a retryable <see cref="AionErrorKind.Protocol"/> error.</remarks>
    public int MaxReceiveMessageSize { get; set; } = DefaultMaxMessageSize;

    /// <summary>A client certificate presented on <c>https://</c> endpoints (mutual TLS).</summary>
    /// <value>Default none. Ignored on <c>http://</c> (h2c).</value>
    public X509Certificate2? ClientCertificate { get; set; }

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
    public Action<SocketsHttpHandler>? ConfigureHttpHandler { get; set; }

    /// <summary>Wraps the handler of each connection, e.g. in a <see cref="DelegatingHandler"/> for logging or fault injection.</summary>
    /// <value>Default none. Called once per connect; must return a new handler each time (it is disposed with the session).</value>
    public Func<HttpMessageHandler, HttpMessageHandler>? WrapHttpHandler { get; set; }

    /// <summary>A copy of these settings.</summary>
    /// <returns>The copy.</returns>
    public GrpcTransportOptions Clone() => (GrpcTransportOptions)MemberwiseClone();

    /// <summary>Every problem with these settings, one line each; empty when they are valid.</summary>
    internal List<string> Validate()
    {
        var problems = new List<string>();
        if (MaxSendMessageSize < 1)
        {
            problems.Add($"MaxSendMessageSize: must be at least 1 byte (was {MaxSendMessageSize}).");
        }

        if (MaxReceiveMessageSize < 1)
        {
            problems.Add($"MaxReceiveMessageSize: must be at least 1 byte (was {MaxReceiveMessageSize}).");
        }

        CheckPing(problems, nameof(KeepAlivePingDelay), KeepAlivePingDelay);
        CheckPing(problems, nameof(KeepAlivePingTimeout), KeepAlivePingTimeout);
        return problems;
    }

    private static void CheckPing(List<string> problems, string name, TimeSpan value)
    {
        if (value != Timeout.InfiniteTimeSpan && (value < TimeSpan.FromSeconds(1) || value.TotalMilliseconds > int.MaxValue))
        {
            problems.Add($"{name}: must be between 1 s and {int.MaxValue} ms, or Timeout.InfiniteTimeSpan (was {value}).");
        }
    }
}
