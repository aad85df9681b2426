extern alias streams;

using System.Net;
using System.Net.Sockets;
using Aion.Worker.Internal;
using Aion.Worker.Transport.InMemory.Internal;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Transport.InMemory;

/// <summary>
/// Serves an <see cref="InMemoryEngine"/> over the stream transport on a TCP or Unix domain socket:
/// an accept loop, and per connection a <see cref="StreamEngineConnection"/> (hello, the engine's
/// scripts, the end frame with the engine's status).
/// </summary>
public sealed class StreamEngineServer : IAsyncDisposable
{
    private readonly InMemoryEngine _engine;
    private readonly Socket _listener;
    private readonly StreamEngineServerOptions _options;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly Lock _gate = new();
    private readonly HashSet<Task> _connections = [];
    private readonly Task _acceptLoop;
    private int _accepted;
    private int _disposed;

    private StreamEngineServer(InMemoryEngine engine, Socket listener, string? unixSocketPath, StreamEngineServerOptions options)
    {
        _engine = engine;
        _listener = listener;
        _options = options;
        _logger = options.LoggerFactory.CreateLogger(StreamEngineLog.Category);
        UnixSocketPath = unixSocketPath;
        EndPoint = listener.LocalEndPoint!;
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The bound endpoint (with the actual port for TCP).</summary>
    public EndPoint EndPoint { get; }

    /// <summary>The bound TCP port.</summary>
    /// <exception cref="InvalidOperationException">The server listens on a Unix domain socket.</exception>
    public int Port => EndPoint is IPEndPoint ip ? ip.Port : throw new InvalidOperationException("The server listens on a Unix domain socket, not TCP.");

    /// <summary>The Unix domain socket's path, or <see langword="null"/> for TCP.</summary>
    public string? UnixSocketPath { get; }

    /// <summary>Connections accepted so far.</summary>
    public int AcceptedConnections => Volatile.Read(ref _accepted);

    /// <summary>Listens on TCP <c>127.0.0.1</c>, on <paramref name="port"/> (0 = an ephemeral port, see <see cref="Port"/>).</summary>
    /// <param name="engine">The engine to serve.</param>
    /// <param name="port">The port; 0 picks a free one.</param>
    /// <param name="options">Frame limits, timeouts and logging.</param>
    /// <returns>The running server.</returns>
    public static StreamEngineServer ListenTcp(InMemoryEngine engine, int port = 0, StreamEngineServerOptions? options = null) =>
        ListenTcp(engine, new IPEndPoint(IPAddress.Loopback, port), options);

    /// <summary>Listens on TCP at <paramref name="endPoint"/>.</summary>
    /// <param name="engine">The engine to serve.</param>
    /// <param name="endPoint">The address and port to bind.</param>
    /// <param name="options">Frame limits, timeouts and logging.</param>
    /// <returns>The running server.</returns>
    public static StreamEngineServer ListenTcp(InMemoryEngine engine, IPEndPoint endPoint, StreamEngineServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(endPoint);
        var settings = Settings(options);
        var listener = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(endPoint);
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new StreamEngineServer(engine, listener, null, settings);
    }

    /// <summary>Listens on a Unix domain socket at <paramref name="path"/> (the file is deleted when the server is disposed).</summary>
    /// <param name="engine">The engine to serve.</param>
    /// <param name="path">The socket's file path; it must not exist.</param>
    /// <param name="options">Frame limits, timeouts and logging.</param>
    /// <returns>The running server.</returns>
    public static StreamEngineServer ListenUnixSocket(InMemoryEngine engine, string path, StreamEngineServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var settings = Settings(options);
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(128);
        }
        catch
        {
            listener.Dispose();
            throw;
        }

        return new StreamEngineServer(engine, listener, path, settings);
    }

    /// <summary>Stops accepting, ends every open connection (status <c>Cancelled</c>) and waits for them.</summary>
    /// <returns>A task that completes when every connection is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        Task[] open;
        lock (_gate)
        {
            open = [.. _connections];
        }

        await Task.WhenAll(open).ConfigureAwait(false);
        if (UnixSocketPath is { } path)
        {
            try
            {
                File.Delete(path);
            }
            catch (IOException)
            {
                // Best effort.
            }
        }

        _stop.Dispose();
    }

    private static StreamEngineServerOptions Settings(StreamEngineServerOptions? options)
    {
        var settings = options?.Clone() ?? new StreamEngineServerOptions();
        OptionProblems.ThrowIfAny(settings.Validate(), "The stream engine server cannot be started", nameof(options));
        return settings;
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (SocketException ex)
            {
                StreamEngineLog.AcceptFailed(_logger, ex);
                continue;
            }

            if (socket.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            {
                socket.NoDelay = true;
            }

            Interlocked.Increment(ref _accepted);
            StreamEngineLog.Accepted(_logger, socket.RemoteEndPoint?.ToString() ?? "a local peer");
            var connection = ServeConnectionAsync(socket);
            lock (_gate)
            {
                if (!connection.IsCompleted)
                {
                    _connections.Add(connection);
                }
            }

            _ = connection.ContinueWith(
                (t, state) =>
                {
                    var server = (StreamEngineServer)state!;
                    lock (server._gate)
                    {
                        server._connections.Remove(t);
                    }
                },
                this,
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }
    }

    private async Task ServeConnectionAsync(Socket socket)
    {
        await Task.Yield();
        try
        {
            await StreamEngineConnection.ServeAsync(_engine, new NetworkStream(socket, ownsSocket: true), _options, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            StreamEngineLog.EndNotWritten(_logger, ex.Message);
        }
    }
}
