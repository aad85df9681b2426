namespace Aion.Worker.Extensions.Hosting;

/// <summary>Names and tags of the hosted workers' health check (<c>AddHealthChecks().AddAionWorker()</c>).</summary>
/// <remarks>
/// <list type="table">
/// <listheader><term>worker state</term><description>health status</description></listheader>
/// <item><term>not started yet, <see cref="AionWorkerState.Connecting"/></term><description><c>Degraded</c> (until the first RegisterAck)</description></item>
/// <item><term><see cref="AionWorkerState.Registered"/></term><description><c>Healthy</c></description></item>
/// <item><term><see cref="AionWorkerState.Reconnecting"/></term><description><c>Degraded</c>, with the drop count and the last error</description></item>
/// <item><term><see cref="AionWorkerState.Stopping"/></term><description><c>Degraded</c> (finishing running activities)</description></item>
/// <item><term><see cref="AionWorkerState.Stopped"/>, <see cref="AionWorkerState.Failed"/></term><description>the failure status (default <c>Unhealthy</c>)</description></item>
/// </list>
/// The check carries <see cref="ReadyTag"/> and <see cref="LiveTag"/>. A liveness endpoint keeps the
/// default status codes (Degraded answers 200: a reconnecting worker recovers by itself, a failed or
/// stopped one needs a restart); a readiness endpoint maps Degraded to 503 so the worker counts as
/// ready only while a session is registered.
/// </remarks>
public static class AionWorkerHealthChecks
{
    /// <summary>The check's name for every hosted worker: <c>aion-worker</c>; for one named worker, <c>aion-worker:{name}</c>.</summary>
    public const string Name = "aion-worker";

    /// <summary>The tag every Aion worker check carries: <c>aion-worker</c>.</summary>
    public const string Tag = "aion-worker";

    /// <summary>The readiness tag: <c>ready</c>.</summary>
    public const string ReadyTag = "ready";

    /// <summary>The liveness tag: <c>live</c>.</summary>
    public const string LiveTag = "live";

    /// <summary>The tags used when none are given: <see cref="Tag"/>, <see cref="ReadyTag"/> and <see cref="LiveTag"/>.</summary>
    public static IReadOnlyList<string> DefaultTags { get; } = [Tag, ReadyTag, LiveTag];
}
