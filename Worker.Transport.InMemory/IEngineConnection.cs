using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>The engine's side of one worker connection (a stream or call), so one <see cref="InMemoryEngine"/> can serve any transport (in-process, gRPC, sockets).</summary>
public interface IEngineConnection
{
    /// <summary>The call metadata the worker sent (namespaces, subject, bearer token).</summary>
    WorkerSessionMetadata Metadata { get; }

    /// <summary>Reads the worker's next frame.</summary>
    /// <param name="cancellationToken">Stops reading.</param>
    /// <returns>The frame, or <see langword="null"/> when the worker closed its side of the stream.</returns>
    ValueTask<WorkerToServer?> ReadAsync(CancellationToken cancellationToken);

    /// <summary>Writes a frame to the worker.</summary>
    /// <param name="frame">The frame.</param>
    /// <param name="cancellationToken">Stops writing.</param>
    /// <returns>A task that completes when the frame was written.</returns>
    ValueTask WriteAsync(ServerToWorker frame, CancellationToken cancellationToken);

    /// <summary>Sends the response headers now (a refusal after headers); transports without headers do nothing.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when the headers were sent.</returns>
    ValueTask SendHeadersAsync(CancellationToken cancellationToken) => default;
}
