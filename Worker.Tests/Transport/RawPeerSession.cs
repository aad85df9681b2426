using Aion.Worker.Transport;

namespace Aion.Worker.Tests.Transport;

/// <summary>A worker session connected to a bare peer (not an engine), and the peer, disposed together.</summary>
public sealed record RawPeerSession(IWorkerSession Session, IAsyncDisposable Peer) : IAsyncDisposable
{
    public async ValueTask DisposeAsync()
    {
        await Session.DisposeAsync();
        await Peer.DisposeAsync();
    }
}
