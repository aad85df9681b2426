using Aion.Worker.Internal;
using Aion.Worker.Transport.Streams.Internal;

namespace Aion.Worker.Transport.Streams;

/// <summary>
/// A worker transport over any duplex <see cref="Stream"/> (TCP, Unix domain sockets, …): the worker
/// protocol's protobuf frames, length-delimited (see <see cref="StreamFraming"/>), read and written
/// through System.IO.Pipelines.
/// </summary>
/// <remarks>
/// Each session opens a new stream, writes a hello frame with the session metadata, then the worker's
/// frames; the engine answers with frames and ends with an end frame carrying a gRPC status, which
/// the session reports exactly as the gRPC transport would (status OK: a clean close; any other: an
/// <see cref="Grpc.Core.RpcException"/>). A connection that closes without an end frame, or in the
/// middle of a frame, is a retryable <see cref="AionErrorKind.Transport"/> error; an oversized or
/// malformed frame is a retryable <see cref="AionErrorKind.Protocol"/> error.
/// </remarks>
public sealed class StreamTransport : IWorkerTransport
{
    private readonly Func<CancellationToken, ValueTask<Stream>> _connect;
    private readonly StreamTransportOptions _options;

    /// <summary>Creates a transport that opens each session's stream with <paramref name="connect"/>.</summary>
    /// <param name="connect">Opens a new duplex stream; the session owns and disposes it.</param>
    /// <param name="options">Frame limits and buffers; default <see cref="StreamTransportOptions"/>.</param>
    /// <exception cref="ArgumentException">An option is out of range (every problem in one message).</exception>
    public StreamTransport(Func<CancellationToken, ValueTask<Stream>> connect, StreamTransportOptions? options = null)
    {
        _connect = connect ?? throw new ArgumentNullException(nameof(connect));
        _options = options?.Clone() ?? new StreamTransportOptions();
        OptionProblems.ThrowIfAny(_options.Validate(), "The stream transport cannot be created", nameof(options));
    }

    /// <summary>A transport over TCP to <paramref name="host"/>:<paramref name="port"/>.</summary>
    /// <param name="host">A host name or IP address.</param>
    /// <param name="port">The port.</param>
    /// <param name="options">Frame limits and buffers.</param>
    /// <returns>The transport.</returns>
    public static StreamTransport Tcp(string host, int port, StreamTransportOptions? options = null) =>
        new(StreamConnectors.Tcp(host, port), options);

    /// <summary>A transport over the Unix domain socket at <paramref name="path"/>.</summary>
    /// <param name="path">The socket's file path.</param>
    /// <param name="options">Frame limits and buffers.</param>
    /// <returns>The transport.</returns>
    public static StreamTransport UnixSocket(string path, StreamTransportOptions? options = null) =>
        new(StreamConnectors.UnixSocket(path), options);

    /// <summary>Opens a session over an already-connected stream (for <see cref="AionWorker.RunSessionAsync"/>).</summary>
    /// <param name="stream">A duplex stream; the session owns and disposes it.</param>
    /// <param name="metadata">The session metadata, written at once in the hello frame.</param>
    /// <param name="options">Frame limits and buffers.</param>
    /// <returns>The session.</returns>
    /// <exception cref="ArgumentException">An option is out of range (every problem in one message).</exception>
    public static IWorkerSession OpenSession(Stream stream, WorkerSessionMetadata metadata, StreamTransportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(metadata);
        var settings = options?.Clone() ?? new StreamTransportOptions();
        OptionProblems.ThrowIfAny(settings.Validate(), "The stream session cannot be opened", nameof(options));
        return new StreamWorkerSession(stream, metadata, settings.Frames);
    }

    /// <inheritdoc />
    public async ValueTask<IWorkerSession> ConnectAsync(WorkerSessionMetadata metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        var stream = await _connect(cancellationToken).ConfigureAwait(false);
        try
        {
            return new StreamWorkerSession(stream, metadata, _options.Frames);
        }
        catch
        {
            await stream.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
