using System.Collections.Concurrent;
using System.Threading.Channels;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;

namespace Aion.Worker.Tests.Support;

/// <summary>A session that forwards everything to <paramref name="inner"/> and records every frame the worker sends.</summary>
public sealed class RecordingSession(IWorkerSession inner) : IWorkerSession
{
    private readonly ConcurrentQueue<WorkerToServer> _sent = new();

    public IReadOnlyList<WorkerToServer> Sent => [.. _sent];

    public IReadOnlyList<ActivityResult> Results => [.. _sent.Where(f => f.MessageCase == WorkerToServer.MessageOneofCase.Result).Select(f => f.Result)];

    public ChannelReader<ActivityCancelRequest>? CancelRequests => inner.CancelRequests;

    public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
    {
        _sent.Enqueue(frame);
        return inner.SendAsync(frame, cancellationToken);
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public bool TryReceive(out InboundFrame frame) => inner.TryReceive(out frame);

    public ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken) => inner.ReceiveAsync(cancellationToken);

    public ValueTask CompleteAsync(CancellationToken cancellationToken) => inner.CompleteAsync(cancellationToken);

    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
