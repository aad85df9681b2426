using Aion.Worker.Transport.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aion.Worker.Transport.InMemory;

/// <summary>Settings of the engine side of the stream transport (<see cref="StreamEngineServer"/>, <see cref="StreamEngineConnection"/>).</summary>
public sealed class StreamEngineServerOptions
{
    /// <summary>The largest frame payload the engine accepts from a worker, in bytes.</summary>
    /// <value>Default <see cref="StreamFraming.DefaultMaxFrameSize"/> (4 MiB).</value>
    /// <remarks>A longer length prefix ends the connection with status <c>ResourceExhausted</c>.</remarks>
    public int MaxReceiveFrameSize { get; set; } = StreamFraming.DefaultMaxFrameSize;

    /// <summary>The largest frame payload the engine writes, in bytes.</summary>
    /// <value>Default <see cref="StreamFraming.DefaultMaxFrameSize"/> (4 MiB).</value>
    public int MaxSendFrameSize { get; set; } = StreamFraming.DefaultMaxFrameSize;

    /// <summary>How many outbound frames may wait for the connection before the engine's writes wait, in frames.</summary>
    /// <value>Default 256.</value>
    public int SendQueueCapacity { get; set; } = 256;

    /// <summary>The size of the read and write buffer segments, in bytes.</summary>
    /// <value>Default 16 KiB.</value>
    public int BufferSize { get; set; } = 16 * 1024;

    /// <summary>How long a new connection has to send its hello frame.</summary>
    /// <value>Default 10 seconds; then the connection ends with <c>DeadlineExceeded</c>.</value>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After the end frame, how long the engine keeps reading (and discarding) until the worker closes the connection.</summary>
    /// <value>Default 5 seconds.</value>
    /// <remarks>Reading on avoids a connection reset that could overtake the end frame while the worker is still writing.</remarks>
    public TimeSpan LingerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock of the hello and linger timeouts.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where connection events are logged (category <c>Aion.Worker.Transport.Streams</c>).</summary>
    /// <value>Default no logging.</value>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>A copy of these options.</summary>
    /// <returns>The copy.</returns>
    public StreamEngineServerOptions Clone() => (StreamEngineServerOptions)MemberwiseClone();

    /// <summary>Throws if any setting is out of range, naming every offending setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range.</exception>
    public void Validate()
    {
        var problems = new List<string>();
        if (MaxReceiveFrameSize < 1)
        {
            problems.Add($"{nameof(MaxReceiveFrameSize)}: must be at least 1 byte.");
        }

        if (MaxSendFrameSize < 1)
        {
            problems.Add($"{nameof(MaxSendFrameSize)}: must be at least 1 byte.");
        }

        if (SendQueueCapacity < 1)
        {
            problems.Add($"{nameof(SendQueueCapacity)}: must be at least 1.");
        }

        if (BufferSize < 512)
        {
            problems.Add($"{nameof(BufferSize)}: must be at least 512 bytes.");
        }

        if (HelloTimeout <= TimeSpan.Zero)
        {
            problems.Add($"{nameof(HelloTimeout)}: must be positive.");
        }

        if (LingerTimeout < TimeSpan.Zero)
        {
            problems.Add($"{nameof(LingerTimeout)}: must not be negative.");
        }

        if (TimeProvider is null)
        {
            problems.Add($"{nameof(TimeProvider)}: required.");
        }

        if (LoggerFactory is null)
        {
            problems.Add($"{nameof(LoggerFactory)}: required.");
        }

        if (problems.Count > 0)
        {
            throw new ArgumentException("Invalid stream engine options: " + string.Join(" ", problems));
        }
    }
}
