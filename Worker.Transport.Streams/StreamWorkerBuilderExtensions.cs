using Aion.Worker.Transport.Streams;

namespace Aion.Worker;

/// <summary>Connects a worker over the stream transport (<see cref="StreamTransport"/>).</summary>
public static class StreamWorkerBuilderExtensions
{
    /// <summary>Opens each session over a new stream from <paramref name="connect"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="connect">Opens a new duplex stream to the engine.</param>
    /// <param name="options">Frame limits and buffers.</param>
    /// <returns>The builder.</returns>
    public static AionWorkerBuilder UseStreams(this AionWorkerBuilder builder, Func<CancellationToken, ValueTask<Stream>> connect, StreamTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseTransport(new StreamTransport(connect, options));
    }

    /// <summary>Connects over TCP to <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="host">A host name or IP address.</param>
    /// <param name="port">The port, 1–65535.</param>
    /// <param name="options">Frame limits and buffers.</param>
    /// <returns>The builder.</returns>
    public static AionWorkerBuilder UseTcp(this AionWorkerBuilder builder, string host, int port, StreamTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseTransport(StreamTransport.Tcp(host, port, options));
    }

    /// <summary>Connects to the Unix domain socket at <paramref name="path"/>.</summary>
    /// <param name="builder">The builder.</param>
    /// <param name="path">The socket's file path.</param>
    /// <param name="options">Frame limits and buffers.</param>
    /// <returns>The builder.</returns>
    public static AionWorkerBuilder UseUnixSocket(this AionWorkerBuilder builder, string path, StreamTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.UseTransport(StreamTransport.UnixSocket(path, options));
    }
}
