using Aion.Worker.Diagnostics;

namespace OpenTelemetry.Metrics;

/// <summary>Adds the Aion worker's metrics to an OpenTelemetry meter provider.</summary>
public static class AionWorkerMeterProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to the <c>Aion.Worker</c> <see cref="System.Diagnostics.Metrics.Meter"/>: task
    /// counters, activity durations, in-flight gauges, heartbeats, sessions and reconnect backoff
    /// (names in <see cref="AionWorkerDiagnostics.Instruments"/>).
    /// </summary>
    /// <param name="builder">The meter provider builder (e.g. in <c>services.AddOpenTelemetry().WithMetrics(...)</c>).</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// The duration histograms are in seconds and advise bucket boundaries from 1 ms to 5 min, which
    /// the SDK applies unless a view says otherwise. Hosted workers record through the host's
    /// <see cref="System.Diagnostics.Metrics.IMeterFactory"/>; workers built without one through a
    /// process-wide meter: both are named <c>Aion.Worker</c> and both are collected.
    /// </remarks>
    public static MeterProviderBuilder AddAionWorkerInstrumentation(this MeterProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddMeter(AionWorkerDiagnostics.MeterName);
    }
}
