namespace Aion.Worker.Extensions.Hosting;

/// <summary>How a hosted worker starts and stops.</summary>
public sealed class AionWorkerHostingOptions
{
    /// <summary>Whether the host fails fast when the engine is unreachable at start.</summary>
    /// <value>
    /// Default <see langword="false"/>: hosted workers retry their first connection forever
    /// (<see cref="ReconnectOptions.RetryFirstConnectForever"/>), so a host that starts before its
    /// engine does not crash. When <see langword="true"/>, the options' own setting applies.
    /// </value>
    public bool FailFastOnStartup { get; set; }

    /// <summary>How long before the host's <c>ShutdownTimeout</c> expires the worker stops waiting for its activities.</summary>
    /// <value>Default 2 s (at most a tenth of the shutdown timeout).</value>
    /// <remarks>
    /// On shutdown running activities are cancelled, awaited and their results reported. If they
    /// have not finished this long before the host's timeout, the worker's abandon token fires: every
    /// running activity and unreported result is logged with its ids and the worker returns.
    /// Long activities need a longer <c>HostOptions.ShutdownTimeout</c>.
    /// </remarks>
    public TimeSpan AbandonBeforeShutdownTimeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Whether the whole application stops when the worker's run fails (denied, budget exhausted).</summary>
    /// <value>Default <see langword="true"/>.</value>
    public bool StopApplicationOnFailure { get; set; } = true;
}
