extern alias streams;

using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using streams::Aion.Worker.Transport.Streams;
// StreamFrameLimits validates into the stream transport's own (compiled-in) copy.
using OptionProblems = streams::Aion.Worker.Internal.OptionProblems;

namespace Aion.Worker.Transport.InMemory;

/// <summary>Settings of the engine side of the stream transport (<see cref="StreamEngineServer"/>, <see cref="StreamEngineConnection"/>).</summary>
/// <remarks>Validated when a server starts or a connection is served; every problem is reported in one <see cref="ArgumentException"/>.</remarks>
public sealed class StreamEngineServerOptions
{
    /// <summary>The engine side's frame limits, send queue and buffers (the same settings as the worker's).</summary>
    /// <remarks>An inbound frame over <see cref="StreamFrameLimits.MaxReceiveFrameSize"/> ends the connection with status <c>ResourceExhausted</c>.</remarks>
    public StreamFrameLimits Frames { get; set; } = new();

    /// <summary>How long a new connection has to send its hello frame.</summary>
    /// <value>Default 10 seconds; greater than zero. Then the connection ends with <c>DeadlineExceeded</c>.</value>
    public TimeSpan HelloTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>After the end frame, how long the engine keeps reading (and discarding) until the worker closes the connection.</summary>
    /// <value>Default 5 seconds; zero or more.</value>
    /// <remarks>Reading on avoids a connection reset that could overtake the end frame while the worker is still writing.</remarks>
    public TimeSpan LingerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The clock of the hello and linger timeouts.</summary>
    /// <value>Default <see cref="TimeProvider.System"/>.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where connection events are logged (category <c>Aion.Worker.Transport.Streams</c>).</summary>
    /// <value>Default no logging.</value>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>A copy of these options, with its own <see cref="Frames"/>.</summary>
    /// <returns>The copy.</returns>
    public StreamEngineServerOptions Clone()
    {
        var clone = (StreamEngineServerOptions)MemberwiseClone();
        clone.Frames = Frames?.Clone()!;
        return clone;
    }

    /// <summary>Checks these options against every rule, without starting a server.</summary>
    /// <returns>One line per problem, naming the option, its rule and the value it had; empty when the options are valid.</returns>
    /// <remarks><see cref="StreamEngineServer"/> and <see cref="StreamEngineConnection"/> run the same checks and throw one exception listing every problem.</remarks>
    public IReadOnlyList<string> Validate()
    {
        var problems = new OptionProblems();
        if (problems.Required(nameof(Frames), Frames))
        {
            Frames.Validate(problems.For(nameof(Frames)));
        }

        problems.Positive(nameof(HelloTimeout), HelloTimeout);
        problems.NotNegative(nameof(LingerTimeout), LingerTimeout);
        problems.Required(nameof(TimeProvider), TimeProvider);
        problems.Required(nameof(LoggerFactory), LoggerFactory);
        return problems.ToList();
    }
}
