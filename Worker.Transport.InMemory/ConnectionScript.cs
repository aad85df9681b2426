using Aion.Worker.Protocol;
using Grpc.Core;

namespace Aion.Worker.Transport.InMemory;

/// <summary>How the <see cref="InMemoryEngine"/> answers one connection attempt.</summary>
public sealed class ConnectionScript
{
    private ConnectionScript(ConnectionScriptKind kind)
    {
        Kind = kind;
    }

    /// <summary>What the engine does.</summary>
    public ConnectionScriptKind Kind { get; }

    /// <summary>The worker id to ack with (<see cref="ConnectionScriptKind.Accept"/>); null = the next automatic id.</summary>
    public ulong? WorkerId { get; private init; }

    /// <summary>The heartbeat window to ack with; null = the engine's default.</summary>
    public TimeSpan? HeartbeatWindow { get; private init; }

    /// <summary>The namespace string to ack with; null = the worker's namespaces joined with <c>,</c>.</summary>
    public string? Namespace { get; private init; }

    /// <summary>The status for <see cref="ConnectionScriptKind.FailConnect"/> and <see cref="ConnectionScriptKind.Refuse"/>.</summary>
    public Status Status { get; private init; }

    /// <summary>Whether a refusal first sends response headers (a status after headers rather than trailers-only).</summary>
    public bool AfterHeaders { get; private init; }

    /// <summary>The first frame for <see cref="ConnectionScriptKind.SendFirst"/>.</summary>
    public ServerToWorker? FirstFrame { get; private init; }

    /// <summary>Accept the registration and ack it.</summary>
    /// <param name="workerId">The worker id; default the next automatic id.</param>
    /// <param name="heartbeatWindow">The heartbeat window; default the engine's.</param>
    /// <param name="namespace">The ack's namespace string; default the worker's namespaces.</param>
    /// <returns>The script.</returns>
    public static ConnectionScript Accept(ulong? workerId = null, TimeSpan? heartbeatWindow = null, string? @namespace = null) =>
        new(ConnectionScriptKind.Accept) { WorkerId = workerId, HeartbeatWindow = heartbeatWindow, Namespace = @namespace };

    /// <summary>Fail the connect itself with <paramref name="status"/> (no stream is opened).</summary>
    /// <param name="status">The status the connect fails with.</param>
    /// <returns>The script.</returns>
    public static ConnectionScript FailConnect(Status status) => new(ConnectionScriptKind.FailConnect) { Status = status };

    /// <summary>Read the registration, then end the call with <paramref name="status"/>.</summary>
    /// <param name="status">The refusal, e.g. PermissionDenied.</param>
    /// <param name="afterHeaders">Send response headers before the status.</param>
    /// <returns>The script.</returns>
    public static ConnectionScript Refuse(Status status, bool afterHeaders = false) =>
        new(ConnectionScriptKind.Refuse) { Status = status, AfterHeaders = afterHeaders };

    /// <summary>Read the registration and never answer (no headers, no ack) until the worker gives up.</summary>
    /// <returns>The script.</returns>
    public static ConnectionScript NeverAck() => new(ConnectionScriptKind.NeverAck);

    /// <summary>Read the registration and answer with <paramref name="frame"/> instead of RegisterAck.</summary>
    /// <param name="frame">The first frame.</param>
    /// <returns>The script.</returns>
    public static ConnectionScript SendFirst(ServerToWorker frame) => new(ConnectionScriptKind.SendFirst) { FirstFrame = frame ?? throw new ArgumentNullException(nameof(frame)) };
}
