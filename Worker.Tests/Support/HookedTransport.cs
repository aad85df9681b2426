using System.Threading.Channels;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;

namespace Aion.Worker.Tests.Support;

/// <summary>
/// Wraps a transport so a test can watch, and hold back, what the worker sends on each session:
/// e.g. record the order of sends against activity starts, or stall the replay of one session.
/// </summary>
public sealed class HookedTransport(IWorkerTransport inner) : IWorkerTransport
{
    private int _opened;

    /// <summary>
    /// Called for every frame the worker sends, with the 1-based number of the session among those
    /// opened through this transport (equal to <see cref="Transport.InMemory.EngineSession.Number"/>
    /// for the in-memory engine). Return a task to use instead of the real send (the frame is then
    /// not forwarded), or <see langword="null"/> to send it.
    /// </summary>
    public Func<int, WorkerToServer, Task?>? OnSend { get; set; }

    public IReadOnlyCollection<string> AcceptedContentTypes => inner.AcceptedContentTypes;

    public async ValueTask<IWorkerSession> ConnectAsync(WorkerSessionMetadata metadata, CancellationToken cancellationToken)
    {
        var session = await inner.ConnectAsync(metadata, cancellationToken).ConfigureAwait(false);
        return new HookedSession(this, Interlocked.Increment(ref _opened), session);
    }

    private sealed class HookedSession(HookedTransport owner, int number, IWorkerSession inner) : IWorkerSession
    {
        public ChannelReader<ActivityCancelRequest>? CancelRequests => inner.CancelRequests;

        public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken) =>
            owner.OnSend?.Invoke(number, frame) is { } replaced ? new ValueTask(replaced) : inner.SendAsync(frame, cancellationToken);

        public ValueTask FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public bool TryReceive(out InboundFrame frame) => inner.TryReceive(out frame);

        public ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken) => inner.ReceiveAsync(cancellationToken);

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => inner.CompleteAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
