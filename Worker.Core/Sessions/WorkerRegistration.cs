namespace Aion.Worker;

/// <summary>The engine's acknowledgement of one session's registration.</summary>
/// <param name="WorkerId">The id the engine gave this stream; a reconnect gets a new one.</param>
/// <param name="Namespace">The authorized namespaces joined by <c>,</c>, as the engine sent them.</param>
/// <param name="HeartbeatWindow">How long an in-flight activity may stay silent; zero means the engine tracks no liveness.</param>
public sealed record WorkerRegistration(ulong WorkerId, string Namespace, TimeSpan HeartbeatWindow)
{
    /// <summary>The authorized namespaces.</summary>
    /// <remarks>Derived on each read rather than stored, so the record keeps value equality.</remarks>
    public IReadOnlyList<string> Namespaces => Namespace.Length == 0 ? [] : Namespace.Split(',');
}
