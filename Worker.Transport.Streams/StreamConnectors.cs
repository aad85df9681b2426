using System.Net.Sockets;

namespace Aion.Worker.Transport.Streams;

/// <summary>Ready-made connectors for <see cref="StreamTransport"/>: each call opens a new duplex <see cref="Stream"/>.</summary>
public static class StreamConnectors
{
    /// <summary>Connects over TCP (Nagle off) to <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="host">A host name or IP address.</param>
    /// <param name="port">The port, 1–65535.</param>
    /// <returns>The connector.</returns>
    /// <exception cref="ArgumentException">The host is empty or the port out of range.</exception>
    public static Func<CancellationToken, ValueTask<Stream>> Tcp(string host, int port)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(host);
        ArgumentOutOfRangeException.ThrowIfLessThan(port, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(port, 65535);
        return async cancellationToken =>
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(host, port, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
    }

    /// <summary>Connects to the Unix domain socket at <paramref name="path"/>.</summary>
    /// <param name="path">The socket's file path.</param>
    /// <returns>The connector.</returns>
    /// <exception cref="ArgumentException">The path is empty.</exception>
    public static Func<CancellationToken, ValueTask<Stream>> UnixSocket(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var endPoint = new UnixDomainSocketEndPoint(path);
        return async cancellationToken =>
        {
            var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(endPoint, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
    }
}
