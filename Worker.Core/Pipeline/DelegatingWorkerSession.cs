using System.Threading.Channels;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;

namespace Aion.Worker.Pipeline;

/// <summary>A session that forwards every member to an inner one: derive from it to write session middleware that overrides only what it needs (frame taps, delays, faults).</summary>
/// <remarks>
/// Session middleware (<see cref="WorkerPipelineBuilder.AddSessionMiddleware(Func{SessionMiddlewareContext, IWorkerSession, IWorkerSession})"/>)
/// wraps each session right after it connected, so it sees every frame both ways, the registration
/// and its ack included. The worker's threading contract of <see cref="IWorkerSession"/> holds for
/// the wrapper: sends from one task at a time, receives from one (other) task at a time. Disposing
/// the wrapper disposes the inner session.
/// </remarks>
public abstract class DelegatingWorkerSession : IWorkerSession
{
    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">The session to forward to.</param>
    protected DelegatingWorkerSession(IWorkerSession inner) => Inner = inner ?? throw new ArgumentNullException(nameof(inner));

    /// <summary>The wrapped session.</summary>
    protected IWorkerSession Inner { get; }

    /// <inheritdoc />
    public virtual ChannelReader<ActivityCancelRequest>? CancelRequests => Inner.CancelRequests;

    /// <inheritdoc />
    public virtual ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken) => Inner.SendAsync(frame, cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask FlushAsync(CancellationToken cancellationToken) => Inner.FlushAsync(cancellationToken);

    /// <inheritdoc />
    public virtual bool TryReceive(out InboundFrame frame) => Inner.TryReceive(out frame);

    /// <inheritdoc />
    public virtual ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken) => Inner.ReceiveAsync(cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask CompleteAsync(CancellationToken cancellationToken) => Inner.CompleteAsync(cancellationToken);

    /// <inheritdoc />
    public virtual ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Inner.DisposeAsync();
    }
}
