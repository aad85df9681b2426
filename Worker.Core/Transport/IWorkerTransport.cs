namespace Aion.Worker.Transport;

/// <summary>A way to reach an engine: the factory of worker sessions.</summary>
/// <remarks>
/// A transport only moves frames. Validation, decoding, registration, the ack wait and every
/// protocol rule live in the worker, so every transport gets them for free. Errors surface as
/// <see cref="Grpc.Core.RpcException"/> (with the engine's status), as <see cref="AionWorkerException"/>,
/// or as any other exception (a retryable transport failure).
/// </remarks>
public interface IWorkerTransport
{
    /// <summary>The payload content types the engine behind this transport accepts.</summary>
    /// <value>By default only <c>application/json</c> (<see cref="Codec.JsonPayloadCodec.JsonContentType"/>), as the Aion engine.</value>
    /// <remarks>Implement it only for an engine that accepts more, listing every type it accepts.</remarks>
    IReadOnlyCollection<string> AcceptedContentTypes => Internal.EngineContentTypes.Default;

    /// <summary>Opens a new session (one worker stream) carrying <paramref name="metadata"/>.</summary>
    /// <param name="metadata">Namespaces, subject and bearer token for the call.</param>
    /// <param name="cancellationToken">Cancels the attempt (shutdown or the register timeout).</param>
    /// <returns>The open session; the worker writes the registration first.</returns>
    ValueTask<IWorkerSession> ConnectAsync(WorkerSessionMetadata metadata, CancellationToken cancellationToken);
}
