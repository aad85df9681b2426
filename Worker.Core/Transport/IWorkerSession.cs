using System.Threading.Channels;
using Aion.Worker.Protocol;

namespace Aion.Worker.Transport;

/// <summary>One open worker stream: frames both ways, and how it ended.</summary>
/// <remarks>
/// <para>
/// The worker calls <see cref="SendAsync"/>, <see cref="FlushAsync"/> and <see cref="CompleteAsync"/>
/// from one task at a time, and <see cref="TryReceive"/> and <see cref="ReceiveAsync"/> from one
/// (other) task at a time: a send and a receive may overlap. Every call honours its cancellation
/// token promptly. Disposing aborts the stream if it is still open.
/// </para>
/// <para>
/// A simple transport implements <see cref="SendAsync"/>, <see cref="ReceiveAsync"/>,
/// <see cref="CompleteAsync"/> and <see cref="IAsyncDisposable.DisposeAsync"/> only: by default every
/// send counts as flushed and <see cref="TryReceive"/> finds nothing, so the worker always awaits
/// <see cref="ReceiveAsync"/>.
/// </para>
/// </remarks>
public interface IWorkerSession : IAsyncDisposable
{
    /// <summary>Writes one frame to the engine, or buffers it for the next <see cref="FlushAsync"/>.</summary>
    /// <param name="frame">The frame; the worker never changes it afterwards.</param>
    /// <param name="cancellationToken">Fires at the send deadline, or when the session ends.</param>
    /// <returns>A task that completes when the transport took the frame (written, or buffered).</returns>
    /// <exception cref="Grpc.Core.RpcException">The stream ended; status OK means it was closed cleanly.</exception>
    /// <remarks>
    /// The worker calls <see cref="FlushAsync"/> whenever it has nothing more to send right away, and
    /// counts a frame as sent (session health, metrics) only once a flush after it completed.
    /// </remarks>
    ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken);

    /// <summary>Completes when every frame taken by <see cref="SendAsync"/> so far was written to the engine.</summary>
    /// <param name="cancellationToken">Fires at the send deadline, or when the session ends.</param>
    /// <returns>A task that completes when everything sent before was written.</returns>
    /// <exception cref="Grpc.Core.RpcException">The stream ended; status OK means it was closed cleanly.</exception>
    /// <remarks>The default does nothing: a transport that writes every frame in <see cref="SendAsync"/> has nothing to flush.</remarks>
    ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Takes the next frame if one is ready without waiting (the synchronous fast path of <see cref="ReceiveAsync"/>).</summary>
    /// <param name="frame">The frame (a <see cref="InboundFrameKind.Message"/> or an <see cref="InboundFrameKind.Undecodable"/> one) when the call returns <see langword="true"/>.</param>
    /// <returns><see langword="true"/> when a frame was ready; <see langword="false"/> when none is (including when the stream ended or failed: <see cref="ReceiveAsync"/> then reports it). Never throws for the stream's sake.</returns>
    /// <remarks>The default finds nothing.</remarks>
    bool TryReceive(out InboundFrame frame)
    {
        frame = default;
        return false;
    }

    /// <summary>Reads the next frame from the engine.</summary>
    /// <param name="cancellationToken">Fires when the worker stops reading.</param>
    /// <returns>
    /// The frame; <see cref="InboundFrame.Undecodable(ReadOnlyMemory{byte}, int)"/> for a frame the transport read but could not
    /// decode (the worker decides what that costs); <see cref="InboundFrame.EndOfStream"/> once the engine ended the stream with status OK.
    /// </returns>
    /// <exception cref="Grpc.Core.RpcException">The engine ended the stream with an error status.</exception>
    ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken);

    /// <summary>Closes the worker's side of the stream (after a drain or on shutdown), after everything sent before.</summary>
    /// <param name="cancellationToken">Bounds the close.</param>
    /// <returns>A task that completes when the close was written.</returns>
    ValueTask CompleteAsync(CancellationToken cancellationToken);

    /// <summary>Out-of-band requests to cancel one activity, for transports whose engine can make them.</summary>
    /// <value><see langword="null"/> when the transport has none (the Aion wire has no cancel frame today).</value>
    ChannelReader<ActivityCancelRequest>? CancelRequests => null;
}
