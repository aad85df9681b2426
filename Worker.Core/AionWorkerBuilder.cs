using System.Diagnostics.Metrics;
using Aion.Worker.Codec;
using Aion.Worker.Internal;
using Aion.Worker.Internal.Activities;
using Aion.Worker.Internal.Stages;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Pipeline;
using Aion.Worker.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aion.Worker;

/// <summary>Builds an <see cref="AionWorker"/>: activities, transport, codec, clock and logging.</summary>
/// <remarks>The <c>AddActivity</c> overloads come from <see cref="ActivityRegistrationBuilder{TBuilder}"/>.</remarks>
public sealed class AionWorkerBuilder : ActivityRegistrationBuilder<AionWorkerBuilder>
{
    private readonly AionWorkerOptions _options;
    private readonly ActivityRegistry _registry = new();
    private IWorkerTransport? _transport;
    // Null until UseCodec: the default JSON codec is only created by Build when none was given.
    private IPayloadCodec? _codec;
    private TimeProvider _time = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private IMeterFactory? _meterFactory;
    private readonly List<IActivityInterceptor> _interceptors = [];
    private readonly WorkerPipelineBuilder _pipeline = new();

    internal AionWorkerBuilder(AionWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <inheritdoc />
    public override AionWorkerBuilder AddActivity(ActivityDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        _registry.Add(definition.ActivityType, definition.Invoker);
        return this;
    }

    /// <summary>Adds an interceptor around every activity execution; the first added runs outermost.</summary>
    /// <param name="interceptor">The interceptor.</param>
    /// <returns>This builder.</returns>
    public AionWorkerBuilder UseInterceptor(IActivityInterceptor interceptor)
    {
        _interceptors.Add(interceptor ?? throw new ArgumentNullException(nameof(interceptor)));
        return this;
    }

    /// <summary>Composes stages into the worker's pipeline: admission filters, inbound and outbound stages, session middleware, and the built-ins (rate limit, per-type concurrency, frame logging, fault injection).</summary>
    /// <param name="configure">Adds stages; they run in the order added. Called once, at once.</param>
    /// <returns>This builder.</returns>
    /// <remarks>See <c>docs/pipeline.md</c>. Without stages the worker's path per task is unchanged.</remarks>
    public AionWorkerBuilder ConfigurePipeline(Action<WorkerPipelineBuilder> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(_pipeline);
        return this;
    }

    /// <summary>The host's root services, given to stage factories (set by the hosting package).</summary>
    internal IServiceProvider? StageServices { get; set; }

    /// <summary>Uses <paramref name="transport"/> to open sessions for <see cref="AionWorker.RunAsync(CancellationToken)"/>.</summary>
    /// <param name="transport">The session factory (gRPC, in-memory or your own).</param>
    /// <returns>This builder.</returns>
    public AionWorkerBuilder UseTransport(IWorkerTransport transport)
    {
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        return this;
    }

    /// <summary>Uses <paramref name="codec"/> for inputs, results, progress and failure details.</summary>
    /// <param name="codec">The codec; its content type must be accepted by the transport's engine.</param>
    /// <remarks>
    /// Without one, the worker uses <see cref="JsonPayloadCodec.Default"/> (reflection-based), or, where
    /// reflection-based JSON is off (trimmed and native AOT apps), a JSON codec with no metadata: there,
    /// register activities with the <c>AddActivity</c> overloads taking <c>JsonTypeInfo</c>, or use
    /// <c>new JsonPayloadCodec(MyJsonContext.Default)</c>. Activities registered with <c>JsonTypeInfo</c>
    /// read their input and write their result with it, whatever the codec.
    /// </remarks>
    /// <returns>This builder.</returns>
    public AionWorkerBuilder UseCodec(IPayloadCodec codec)
    {
        _codec = codec ?? throw new ArgumentNullException(nameof(codec));
        return this;
    }

    /// <summary>Uses <paramref name="timeProvider"/> for every timer, deadline and backoff (a fake one in tests).</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>This builder.</returns>
    public AionWorkerBuilder UseTimeProvider(TimeProvider timeProvider)
    {
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        return this;
    }

    /// <summary>Logs through <paramref name="loggerFactory"/> (category <c>Aion.Worker</c>).</summary>
    /// <param name="loggerFactory">The logger factory.</param>
    /// <returns>This builder.</returns>
    public AionWorkerBuilder UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        _loggerFactory = loggerFactory ?? throw new ArgumentNullException(nameof(loggerFactory));
        return this;
    }

    /// <summary>Creates the worker's <c>Aion.Worker</c> meter and instruments through <paramref name="meterFactory"/> (a host's).</summary>
    /// <param name="meterFactory">The factory, e.g. the host's <see cref="IMeterFactory"/> service.</param>
    /// <returns>This builder.</returns>
    /// <remarks>
    /// Without a factory the worker records on one process-wide <c>Aion.Worker</c> meter. With one, its
    /// measurements go to that factory's meter only (shared with the other workers built with the
    /// same factory), so tests and several hosts in one process do not see each other's
    /// measurements. The hosting package passes the host's factory automatically.
    /// </remarks>
    public AionWorkerBuilder UseMeterFactory(IMeterFactory meterFactory)
    {
        _meterFactory = meterFactory ?? throw new ArgumentNullException(nameof(meterFactory));
        return this;
    }

    /// <summary>Validates everything and builds the worker.</summary>
    /// <returns>The worker, ready to run.</returns>
    /// <exception cref="InvalidOperationException">One message naming every invalid option, and missing activities, an unaccepted codec, or a JSON codec without metadata for an activity's input or result type.</exception>
    public AionWorker Build()
    {
        var problems = new List<string>();
        if (_registry.Count == 0)
        {
            problems.Add("Activities: at least one activity must be registered.");
        }

        var codec = _codec ?? JsonPayloadCodec.WorkerDefault();
        var accepted = _transport?.AcceptedContentTypes ?? EngineContentTypes.Default;
        if (!accepted.Contains(codec.ContentType, StringComparer.Ordinal))
        {
            problems.Add($"Codec: produces '{codec.ContentType}', which the engine does not accept (it accepts {string.Join(", ", accepted)}).");
        }

        if (codec is JsonPayloadCodec json)
        {
            _registry.CheckJsonMetadata(json, explicitCodec: _codec is not null, problems);
        }

        var settings = WorkerSettings.From(_options, problems);
        var stages = new StageServicesAndLogging(_pipeline.Build(), _loggerFactory, StageServices);
        return new AionWorker(settings, _registry.Snapshot(), codec, accepted, _transport, _time, _loggerFactory.CreateLogger("Aion.Worker"), [.. _interceptors], WorkerTelemetry.For(_meterFactory), stages);
    }
}
