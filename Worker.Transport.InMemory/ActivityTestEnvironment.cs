using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Codec;
using Aion.Worker.Internal;
using Aion.Worker.Internal.Activities;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Internal.Stages;
using Aion.Worker.Protocol;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Aion.Worker.Transport.InMemory;

/// <summary>
/// Runs one activity without an engine, a transport or a worker run: register it with any
/// <c>AddActivity</c> overload, start it with an input, ids, attempt and labels, watch its progress
/// heartbeats, cancel it with a reason, and get its outcome exactly as the worker would report it.
/// </summary>
/// <remarks>
/// <para>
/// The activity runs through the worker's own execution path: the same input decoding (a JSON
/// <c>null</c> the input type does not accept, or an input that does not decode, is TERMINAL before the
/// handler runs), the same interceptors, the same failure classification (an exception is RETRYABLE,
/// <see cref="TerminalActivityException"/> TERMINAL, a cancellation TERMINAL at the engine's request or
/// RETRYABLE at shutdown), the same result encoding and size limit.
/// </para>
/// <para>
/// What needs an engine (acks, replay, liveness heartbeats, reconnects) is not simulated here: test it
/// with an <see cref="InMemoryEngine"/> and a worker. One environment may run any number of activities,
/// one after another or at once.
/// </para>
/// </remarks>
/// <example>
/// <code>
/// var environment = new ActivityTestEnvironment()
///     .AddActivity&lt;ChargeRequest, Receipt&gt;("billing.charge", ChargeAsync);
/// var result = await environment.RunAsync("billing.charge", new ChargeRequest(42m));
/// Assert.That(result.GetOutput&lt;Receipt&gt;().Amount, Is.EqualTo(42m));
/// </code>
/// </example>
public sealed class ActivityTestEnvironment : ActivityRegistrationBuilder<ActivityTestEnvironment>
{
    private const string Identity = "activity-test-environment";

    private readonly ActivityRegistry _registry = new();
    private readonly List<IActivityInterceptor> _interceptors = [];
    private readonly Lock _gate = new();
    private IPayloadCodec? _codec;
    private ILoggerFactory _loggerFactory = NullLoggerFactory.Instance;
    private IServiceProvider? _services;
    private TimeProvider _time = TimeProvider.System;
    private ulong _lastPosition;

    /// <summary>
    /// The largest frame the worker sends, in bytes; a larger result is reported TERMINAL ("too large")
    /// and a larger progress heartbeat throws. Default <see cref="AionWorkerOptions.DefaultMaxSendMessageSize"/>; at least 1024, as for a worker.
    /// </summary>
    public int MaxSendMessageSize { get; set; } = AionWorkerOptions.DefaultMaxSendMessageSize;

    /// <summary>The <see cref="ActivityContext.HeartbeatWindow"/> activities see; default zero (the engine tracks no liveness).</summary>
    public TimeSpan HeartbeatWindow { get; set; }

    /// <summary>The codec inputs are encoded with and results, progress and details decoded with: the worker's, unless <see cref="UseCodec"/> set one.</summary>
    public IPayloadCodec Codec
    {
        get
        {
            lock (_gate)
            {
                return _codec ??= JsonPayloadCodec.WorkerDefault();
            }
        }
    }

    /// <inheritdoc />
    public override ActivityTestEnvironment AddActivity(ActivityDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        lock (_gate)
        {
            _registry.Add(definition.ActivityType, definition.Invoker);
        }

        return this;
    }

    /// <summary>Uses <paramref name="codec"/> as the worker would (<see cref="AionWorkerBuilder.UseCodec"/>): for inputs, results, progress and failure details.</summary>
    /// <param name="codec">The codec.</param>
    /// <returns>This environment.</returns>
    public ActivityTestEnvironment UseCodec(IPayloadCodec codec)
    {
        ArgumentNullException.ThrowIfNull(codec);
        lock (_gate)
        {
            _codec = codec;
        }

        return this;
    }

    /// <summary>Adds an interceptor around every activity run, as <see cref="AionWorkerBuilder.UseInterceptor"/> does; the first added runs outermost.</summary>
    /// <param name="interceptor">The interceptor.</param>
    /// <returns>This environment.</returns>
    public ActivityTestEnvironment UseInterceptor(IActivityInterceptor interceptor)
    {
        ArgumentNullException.ThrowIfNull(interceptor);
        lock (_gate)
        {
            _interceptors.Add(interceptor);
        }

        return this;
    }

    /// <summary>Gives activities a logger from <paramref name="loggerFactory"/> (category <c>Aion.Worker</c>, with the execution's scope), as the worker does.</summary>
    /// <param name="loggerFactory">The logger factory, e.g. one that collects entries for assertions.</param>
    /// <returns>This environment.</returns>
    public ActivityTestEnvironment UseLoggerFactory(ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        lock (_gate)
        {
            _loggerFactory = loggerFactory;
        }

        return this;
    }

    /// <summary>Sets <see cref="ActivityContext.Services"/> for every run, as a hosted worker does with each execution's scope.</summary>
    /// <param name="services">The services activities (and context-aware factories) resolve from.</param>
    /// <returns>This environment.</returns>
    public ActivityTestEnvironment UseServices(IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(services);
        lock (_gate)
        {
            _services = services;
        }

        return this;
    }

    /// <summary>Stamps captured heartbeats with <paramref name="timeProvider"/>'s time (a fake one in tests).</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <returns>This environment.</returns>
    public ActivityTestEnvironment UseTimeProvider(TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(timeProvider);
        lock (_gate)
        {
            _time = timeProvider;
        }

        return this;
    }

    /// <summary>Starts an activity with an input encoded by <see cref="Codec"/>, and returns at once.</summary>
    /// <typeparam name="TInput">The input type (<see cref="Payload"/> for a raw input, sent as it is).</typeparam>
    /// <param name="activityType">The registered activity type.</param>
    /// <param name="input">The input; <see langword="null"/> is sent as JSON <c>null</c>.</param>
    /// <param name="options">Workflow id, position, attempt, run id and labels; by default a new workflow id, the next position, attempt 1.</param>
    /// <returns>The running activity: its heartbeats, its cancellation and its outcome.</returns>
    /// <exception cref="ArgumentException"><paramref name="activityType"/> is not registered.</exception>
    /// <exception cref="PayloadCodecException">The input cannot be encoded.</exception>
    public ActivityTestRun Start<TInput>(string activityType, TInput input, DispatchOptions? options = null) =>
        Start(activityType, input as Payload ?? Codec.Encode(input), options);

    /// <summary>Starts an activity with an input encoded as JSON with the given metadata (trimming- and native-AOT-safe), and returns at once.</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <param name="activityType">The registered activity type.</param>
    /// <param name="input">The input.</param>
    /// <param name="inputType">The input's JSON metadata.</param>
    /// <param name="options">Workflow id, position, attempt, run id and labels.</param>
    /// <returns>The running activity.</returns>
    /// <exception cref="ArgumentException"><paramref name="activityType"/> is not registered.</exception>
    /// <exception cref="PayloadCodecException">The input cannot be encoded.</exception>
    public ActivityTestRun Start<TInput>(string activityType, TInput input, JsonTypeInfo<TInput> inputType, DispatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputType);
        return Start(activityType, JsonPayloadCodec.Encode(input, inputType), options);
    }

    /// <summary>Starts an activity with a raw input payload (e.g. one that does not decode), and returns at once.</summary>
    /// <param name="activityType">The registered activity type.</param>
    /// <param name="input">The input payload, as the engine would send it.</param>
    /// <param name="options">Workflow id, position, attempt, run id and labels.</param>
    /// <returns>The running activity.</returns>
    /// <exception cref="ArgumentException"><paramref name="activityType"/> is not registered.</exception>
    public ActivityTestRun Start(string activityType, Payload input, DispatchOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(activityType);
        ArgumentNullException.ThrowIfNull(input);
        var task = (options ?? DispatchOptions.Default).CreateTask(activityType, input, ref _lastPosition);

        ActivityRegistry registry;
        IPayloadCodec codec;
        ILoggerFactory loggerFactory;
        IServiceProvider? services;
        TimeProvider time;
        IActivityInterceptor[] interceptors;
        lock (_gate)
        {
            if (!_registry.TryGet(activityType, out _))
            {
                var registered = _registry.Count == 0 ? "none" : string.Join(", ", _registry.SortedTypes());
                throw new ArgumentException($"No activity of type '{activityType}' is registered in this environment (registered: {registered}).", nameof(activityType));
            }

            registry = _registry.Snapshot();
            codec = _codec ??= JsonPayloadCodec.WorkerDefault();
            loggerFactory = _loggerFactory;
            services = _services;
            time = _time;
            interceptors = [.. _interceptors];
        }

        var settings = WorkerSettings.From(new AionWorkerOptions
        {
            TaskQueue = Identity,
            Identity = Identity,
            Node = Identity,
            MaxConcurrency = 1,
            MaxSendMessageSize = MaxSendMessageSize,
            // Unused here (no sessions), but validated like every worker's options.
            Reconnect = new ReconnectOptions { InitialBackoff = TimeSpan.FromSeconds(1), MaxBackoff = TimeSpan.FromSeconds(1), MaxAttempts = 1 },
        });
        var run = new ActivityTestRun(task, codec, time);
        var runtime = new WorkerRuntime(settings, registry, codec, EngineContentTypes.Default, time, loggerFactory.CreateLogger("Aion.Worker"), interceptors)
        {
            ProgressSink = run.Capture,
        };
        var execution = runtime.CreateExecution(task, new WorkerRegistration(0, "default", HeartbeatWindow), sessionId: 0, RunStages.None);
        run.Begin(execution, services);
        return run;
    }

    /// <summary>Runs an activity with an input encoded by <see cref="Codec"/> to its outcome.</summary>
    /// <typeparam name="TInput">The input type (<see cref="Payload"/> for a raw input).</typeparam>
    /// <param name="activityType">The registered activity type.</param>
    /// <param name="input">The input; <see langword="null"/> is sent as JSON <c>null</c>.</param>
    /// <param name="options">Workflow id, position, attempt, run id and labels.</param>
    /// <param name="cancellationToken">Cancels the activity as a worker shutdown would (<see cref="ActivityCancellationReason.Shutdown"/>); the outcome is still returned.</param>
    /// <returns>The outcome as the worker would report it, with the heartbeats.</returns>
    /// <exception cref="ArgumentException"><paramref name="activityType"/> is not registered.</exception>
    public async Task<ActivityTestResult> RunAsync<TInput>(string activityType, TInput input, DispatchOptions? options = null, CancellationToken cancellationToken = default)
    {
        var run = Start(activityType, input, options);
        using (cancellationToken.Register(static state => ((ActivityTestRun)state!).Cancel(ActivityCancellationReason.Shutdown), run))
        {
            return await run.Completion.ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    public override string ToString()
    {
        lock (_gate)
        {
            return $"ActivityTestEnvironment ({string.Join(", ", _registry.SortedTypes())})";
        }
    }
}
