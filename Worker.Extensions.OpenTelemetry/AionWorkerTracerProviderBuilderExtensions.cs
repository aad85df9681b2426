using Aion.Worker.Diagnostics;

namespace OpenTelemetry.Trace;

/// <summary>Adds the Aion worker's spans to an OpenTelemetry tracer provider.</summary>
public static class AionWorkerTracerProviderBuilderExtensions
{
    /// <summary>
    /// Subscribes to the <c>Aion.Worker</c> <see cref="System.Diagnostics.ActivitySource"/>: one span per
    /// activity execution (<c>aion.worker.activity</c>) and one per registered session
    /// (<c>aion.worker.session</c>).
    /// </summary>
    /// <param name="builder">The tracer provider builder (e.g. in <c>services.AddOpenTelemetry().WithTracing(...)</c>).</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// An activity span continues the trace of the W3C <c>traceparent</c> (and <c>tracestate</c>)
    /// carried in the task's labels, when there is one; see <see cref="AionWorkerDiagnostics.TraceParentLabel"/>.
    /// </remarks>
    public static TracerProviderBuilder AddAionWorkerInstrumentation(this TracerProviderBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.AddSource(AionWorkerDiagnostics.SourceName);
    }
}
