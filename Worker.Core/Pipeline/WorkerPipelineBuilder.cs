using Aion.Worker.Internal;
using Aion.Worker.Internal.Stages;
using Aion.Worker.Transport;

namespace Aion.Worker.Pipeline;

/// <summary>Composes stages into the worker's pipeline: admission filters, inbound stages, outbound stages and session middleware, each run in the order added.</summary>
/// <remarks>
/// <para>
/// Per task, in this order: the admission filters pick the first queued task that may start now;
/// the inbound stages admit, hold or fail it; the activity runs; the outbound stages transform its
/// result, failure details or progress once, before the worker tracks it. Session middleware wraps
/// each session (the first added outermost) and sees every frame both ways.
/// </para>
/// <para>
/// Stages are created once per run by their factories (session middleware once per session), and
/// disposed when they are <see cref="IDisposable"/> or <see cref="IAsyncDisposable"/> once the run
/// ended and none of its activities is still running (instances passed directly are shared by every
/// run and never disposed). With no stage, the
/// worker's path per task is unchanged. See <c>docs/pipeline.md</c>.
/// </para>
/// </remarks>
public sealed class WorkerPipelineBuilder
{
    private readonly List<(Func<PipelineStageContext, IAdmissionFilter>, bool)> _filters = [];
    private readonly List<(Func<PipelineStageContext, IInboundStage>, bool)> _inbound = [];
    private readonly List<(Func<PipelineStageContext, IOutboundStage>, bool)> _outbound = [];
    private readonly List<Func<SessionMiddlewareContext, IWorkerSession, IWorkerSession>> _middleware = [];

    internal WorkerPipelineBuilder()
    {
    }

    /// <summary>Adds an inbound stage created once per run by <paramref name="factory"/>.</summary>
    /// <param name="factory">Creates the stage from the run's context.</param>
    /// <returns>This builder.</returns>
    public WorkerPipelineBuilder AddInboundStage(Func<PipelineStageContext, IInboundStage> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _inbound.Add((factory, true));
        return this;
    }

    /// <summary>Adds an inbound stage instance, shared by every run (never disposed by the worker).</summary>
    /// <param name="stage">The stage.</param>
    /// <returns>This builder.</returns>
    public WorkerPipelineBuilder AddInboundStage(IInboundStage stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        _inbound.Add((_ => stage, false));
        return this;
    }

    /// <summary>Adds an admission filter created once per run by <paramref name="factory"/>: it picks which queued task may start now.</summary>
    /// <param name="factory">Creates the filter from the run's context.</param>
    /// <returns>This builder.</returns>
    public WorkerPipelineBuilder AddAdmissionFilter(Func<PipelineStageContext, IAdmissionFilter> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _filters.Add((factory, true));
        return this;
    }

    /// <summary>Adds an outbound stage created once per run by <paramref name="factory"/>.</summary>
    /// <param name="factory">Creates the stage from the run's context.</param>
    /// <returns>This builder.</returns>
    public WorkerPipelineBuilder AddOutboundStage(Func<PipelineStageContext, IOutboundStage> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _outbound.Add((factory, true));
        return this;
    }

    /// <summary>Adds an outbound stage instance, shared by every run (never disposed by the worker).</summary>
    /// <param name="stage">The stage.</param>
    /// <returns>This builder.</returns>
    public WorkerPipelineBuilder AddOutboundStage(IOutboundStage stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        _outbound.Add((_ => stage, false));
        return this;
    }

    /// <summary>Adds session middleware: <paramref name="factory"/> wraps each session right after it connected (derive from <see cref="DelegatingWorkerSession"/>).</summary>
    /// <param name="factory">Gets the session's context and the session to wrap; returns the wrapper (or the session itself).</param>
    /// <returns>This builder.</returns>
    /// <remarks>A factory that throws fails that establishment try, like a failed connect.</remarks>
    public WorkerPipelineBuilder AddSessionMiddleware(Func<SessionMiddlewareContext, IWorkerSession, IWorkerSession> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _middleware.Add(factory);
        return this;
    }

    /// <summary>Adds the built-in rate limit: at most <see cref="TaskRateLimitOptions.PermitLimit"/> tasks start per period, globally or per activity type; a task waiting for a permit is held.</summary>
    /// <param name="options">The limit (copied).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid (every problem listed).</exception>
    public WorkerPipelineBuilder AddRateLimit(TaskRateLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionProblems.ThrowIfAny(options.Validate(), "The rate limit cannot be added", nameof(options));
        var permits = options.PermitLimit;
        var period = options.Period;
        var perType = options.PerActivityType;
        var types = options.ActivityTypes is { } list ? new HashSet<string>(list, StringComparer.Ordinal) : null;
        return AddInboundStage(context => perType
            ? new RateLimitStage(_ => new TokenBucketLimiter(permits, period, context.TimeProvider), types)
            : new RateLimitStage(new TokenBucketLimiter(permits, period, context.TimeProvider), types));
    }

    /// <summary>Adds a rate limit over any <see cref="System.Threading.RateLimiting.RateLimiter"/> the factory creates once per run (disposed at the run's end): each task takes one permit at the head of the queue, and is held while the limiter queues it.</summary>
    /// <param name="factory">Creates the limiter, e.g. a <c>SlidingWindowRateLimiter</c>; give it a <c>QueueLimit</c> of at least 1, or a task it cannot queue is failed RETRYABLE.</param>
    /// <returns>This builder.</returns>
    /// <remarks>
    /// The lease is released as soon as the task is admitted: use a replenishing limiter (token bucket,
    /// fixed or sliding window). The runtime's limiters time their windows on the real clock; the
    /// options overload replenishes on the worker's <see cref="TimeProvider"/> (deterministic in tests).
    /// </remarks>
    public WorkerPipelineBuilder AddRateLimiter(Func<PipelineStageContext, System.Threading.RateLimiting.RateLimiter> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return AddInboundStage(context => new RateLimitStage(factory(context) ?? throw new InvalidOperationException("The rate limiter factory returned null."), null));
    }

    /// <summary>Adds the built-in rate limit: at most <paramref name="permitLimit"/> tasks start per <paramref name="period"/> (one bucket for every task).</summary>
    /// <param name="permitLimit">Tasks per period, and the largest burst; at least 1.</param>
    /// <param name="period">The replenishment period; greater than zero.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">An argument breaks its rule.</exception>
    public WorkerPipelineBuilder AddRateLimit(int permitLimit, TimeSpan period) =>
        AddRateLimit(new TaskRateLimitOptions { PermitLimit = permitLimit, Period = period });

    /// <summary>Adds the built-in per-activity-type concurrency limit (inside MaxConcurrency): a task whose type is full lets the next queued task whose type has room start.</summary>
    /// <param name="options">The limits (copied).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid (every problem listed).</exception>
    public WorkerPipelineBuilder AddConcurrencyLimits(ActivityConcurrencyLimitOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionProblems.ThrowIfAny(options.Validate(), "The concurrency limits cannot be added", nameof(options));
        var limits = new Dictionary<string, int>(options.Limits, StringComparer.Ordinal);
        var fallback = options.DefaultLimit;
        return AddAdmissionFilter(_ => new ConcurrencyLimitFilter(limits, fallback));
    }

    /// <summary>Limits how many activities of <paramref name="activityType"/> run at once (inside MaxConcurrency).</summary>
    /// <param name="activityType">The activity type.</param>
    /// <param name="limit">The most that run at once; at least 1.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">An argument breaks its rule.</exception>
    public WorkerPipelineBuilder AddConcurrencyLimit(string activityType, int limit) =>
        AddConcurrencyLimits(new ActivityConcurrencyLimitOptions { Limits = { [activityType ?? throw new ArgumentNullException(nameof(activityType))] = limit } });

    /// <summary>Adds the built-in frame logging middleware: one line per frame each way, never the bearer token, payload bytes only when asked.</summary>
    /// <param name="options">The level and whether to include payloads (copied); default Debug without payloads.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public WorkerPipelineBuilder AddFrameLogging(FrameLoggingOptions? options = null)
    {
        options ??= new FrameLoggingOptions();
        OptionProblems.ThrowIfAny(options.Validate(), "The frame logging cannot be added", nameof(options));
        var level = options.Level;
        var payloads = options.IncludePayloads;
        return AddSessionMiddleware((context, session) => new FrameLoggingSession(session, context, level, payloads));
    }

    /// <summary>Adds the built-in fault injection middleware, for your own chaos tests (deterministic with a seed and a fake clock).</summary>
    /// <param name="options">The faults (copied).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The options are invalid (every problem listed).</exception>
    public WorkerPipelineBuilder AddFaultInjection(FaultInjectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        OptionProblems.ThrowIfAny(options.Validate(), "The fault injection cannot be added", nameof(options));
        var copy = new FaultInjectionOptions
        {
            Seed = options.Seed,
            EndSessionAfterFrames = options.EndSessionAfterFrames,
            EndSessionProbability = options.EndSessionProbability,
            SendDelay = options.SendDelay,
            AckLossProbability = options.AckLossProbability,
        };
        return AddSessionMiddleware((context, session) => new FaultInjectionSession(session, context, copy));
    }

    internal PipelineDefinition Build() =>
        _filters.Count + _inbound.Count + _outbound.Count + _middleware.Count == 0
            ? PipelineDefinition.Empty
            : new PipelineDefinition([.. _filters], [.. _inbound], [.. _outbound], [.. _middleware]);
}
