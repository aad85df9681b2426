using System.Threading.Channels;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport;

/// <summary>One open worker stream: frames both ways, and how it ended.</summary>
/// <remarks>
/// The worker calls <see cref="SendAsync"/> from one task at a time and <see cref="ReceiveAsync"/>
/// from one task at a time (the two may overlap). Both honour their cancellation token promptly.
/// Disposing aborts the stream if it is still open.
/// </remarks>
public interface IWorkerSession : IAsyncDisposable
{
    /// <summary>Writes one frame to the engine.</summary>
    /// <param name="frame">The frame; the worker never changes it afterwards.</param>
    /// <param name="cancellationToken">Fires at the send deadline, or when the session ends.</param>
    /// <returns>A task that completes when the transport took the frame.</returns>
    /// <exception cref="Grpc.Core.RpcException">The stream ended; status OK means it was closed cleanly.</exception>
    ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken);

    /// <summary>Reads the next frame from the engine.</summary>
    /// <param name="cancellationToken">Fires when the worker stops reading.</param>
    /// <returns>The frame, or <see langword="null"/> when the engine ended the stream with status OK.</returns>
    /// <exception cref="Grpc.Core.RpcException">The engine ended the stream with an error status.</exception>
    ValueTask<ServerToWorker?> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Closes the worker's side of the stream (after a drain or on shutdown).</summary>
    /// <param name="cancellationToken">Bounds the close.</param>
    /// <returns>A task that completes when the close was written.</returns>
    ValueTask CompleteAsync(CancellationToken cancellationToken);

    /// <summary>Out-of-band requests to cancel one activity, for transports whose engine can make them.</summary>
    /// <value><see langword="null"/> when the transport has none (the Aion wire has no cancel frame today).</value>
    ChannelReader<ActivityCancelRequest>? CancelRequests => null;
}
