using System.Diagnostics.Metrics;
using Aion.Worker.Codec;
using Aion.Worker.Internal;
using Aion.Worker.Internal.Activities;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aion.Worker;

/// <summary>Builds an <see cref="AionWorker"/>: activities, transport, codec, clock and logging.</summary>
public sealed class AionWorkerBuilder
{
    private readonly AionWorkerOptions _options;
    private readonly ActivityRegistry _registry = new();
    private IWorkerTransport? _transport;
    private IPayloadCodec _codec = JsonPayloadCodec.Default;
    private TimeProvider _time = TimeProvider.System;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private IMeterFactory? _meterFactory;
    private readonly List<IActivityInterceptor> _interceptors = [];

    internal AionWorkerBuilder(AionWorkerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
    }

    /// <summary>Registers an asynchronous activity handler.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec (<see cref="Protocol.Payload"/> for the raw payload).</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec (<see cref="Protocol.Payload"/> to return a raw payload).</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="handler">Runs one execution.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    public AionWorkerBuilder AddActivity<TInput, TOutput>(string activityType, Func<TInput, ActivityContext, Task<TOutput>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _registry.Add(activityType, new AsyncDelegateInvoker<TInput, TOutput>(handler));
        return this;
    }

    /// <summary>Registers a synchronous activity handler (it runs on the thread pool).</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec.</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="handler">Runs one execution.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    public AionWorkerBuilder AddActivity<TInput, TOutput>(string activityType, Func<TInput, ActivityContext, TOutput> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _registry.Add(activityType, new SyncDelegateInvoker<TInput, TOutput>(handler));
        return this;
    }

    /// <summary>Registers a class-based activity instance, shared by every execution.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec.</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="activity">The activity.</param>
    /// <returns>This builder.</returns>
    public AionWorkerBuilder AddActivity<TInput, TOutput>(string activityType, IActivity<TInput, TOutput> activity)
    {
        ArgumentNullException.ThrowIfNull(activity);
        _registry.Add(activityType, new AsyncDelegateInvoker<TInput, TOutput>(activity.ExecuteAsync));
        return this;
    }

    /// <summary>Registers a class-based activity created per execution and disposed after it.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec.</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="factory">Creates one activity per execution; it is disposed (sync or async) once the execution ends.</param>
    /// <returns>This builder.</returns>
    public AionWorkerBuilder AddActivity<TInput, TOutput>(string activityType, Func<IActivity<TInput, TOutput>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registry.Add(activityType, new FactoryInvoker<TInput, TOutput>(factory));
        return this;
    }

    /// <summary>Registers a class-based activity created per execution by a factory that sees the execution's context.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec.</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="factory">Creates one activity per execution, e.g. from <see cref="ActivityContext.Services"/>; it is disposed (sync or async) once the execution ends.</param>
    /// <returns>This builder.</returns>
    public AionWorkerBuilder AddActivity<TInput, TOutput>(string activityType, Func<ActivityContext, IActivity<TInput, TOutput>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _registry.Add(activityType, new ContextFactoryInvoker<TInput, TOutput>(factory));
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
    /// <exception cref="InvalidOperationException">One message naming every invalid option, and missing activities or an unaccepted codec.</exception>
    public AionWorker Build()
    {
        var problems = new List<string>();
        if (_registry.Count == 0)
        {
            problems.Add("Activities: at least one activity must be registered.");
        }

        var accepted = _transport?.AcceptedContentTypes ?? IWorkerTransport.DefaultContentTypes;
        if (!accepted.Contains(_codec.ContentType, StringComparer.Ordinal))
        {
            problems.Add($"Codec: produces '{_codec.ContentType}', which the engine does not accept (it accepts {string.Join(", ", accepted)}).");
        }

        var settings = WorkerSettings.From(_options, problems);
        return new AionWorker(settings, _registry.Snapshot(), _codec, accepted, _transport, _time, _loggerFactory.CreateLogger("Aion.Worker"), [.. _interceptors], WorkerTelemetry.For(_meterFactory));
    }
}
