using Aion.Worker.Protocol;

namespace Aion.Worker.Pipeline;

/// <summary>Transforms each result, failure-details or progress payload before the worker tracks and sends it (encrypt, compress, redact).</summary>
/// <remarks>
/// <para>
/// A payload goes through the outbound stages once, in the order they were added, before it is
/// recorded in the unacked-result tracker: a result replayed on a later session is never transformed
/// again. The size limit and the engine's accepted content types are checked after the stages.
/// Stages are created once per run and may be called concurrently (one call per finishing activity).
/// </para>
/// <para>
/// A stage that throws turns the outcome into a RETRYABLE failure naming the stage, and the
/// untransformed payload is never sent; a progress payload whose transform throws is dropped. Return
/// a new <see cref="Payload"/> rather than changing the one given.
/// </para>
/// </remarks>
public interface IOutboundStage
{
    /// <summary>Transforms one payload.</summary>
    /// <param name="payload">The payload and the task it belongs to.</param>
    /// <param name="cancellationToken">Fires when the worker shuts down.</param>
    /// <returns>The payload to send (possibly the same instance).</returns>
    ValueTask<Payload> TransformAsync(OutboundPayloadContext payload, CancellationToken cancellationToken);
}
