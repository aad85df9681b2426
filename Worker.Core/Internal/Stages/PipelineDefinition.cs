using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Pipeline;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Stages;

/// <summary>What <see cref="WorkerPipelineBuilder"/> collected, frozen at build: the factories of each kind of stage, in the order they were added.</summary>
internal sealed class PipelineDefinition
{
    public static readonly PipelineDefinition Empty = new([], [], [], []);

    private readonly (Func<PipelineStageContext, IAdmissionFilter> Create, bool Owned)[] _filters;
    private readonly (Func<PipelineStageContext, IInboundStage> Create, bool Owned)[] _inbound;
    private readonly (Func<PipelineStageContext, IOutboundStage> Create, bool Owned)[] _outbound;
    private readonly Func<SessionMiddlewareContext, IWorkerSession, IWorkerSession>[] _middleware;
    private long _connections;

    public PipelineDefinition(
        (Func<PipelineStageContext, IAdmissionFilter>, bool)[] filters,
        (Func<PipelineStageContext, IInboundStage>, bool)[] inbound,
        (Func<PipelineStageContext, IOutboundStage>, bool)[] outbound,
        Func<SessionMiddlewareContext, IWorkerSession, IWorkerSession>[] middleware)
    {
        _filters = filters;
        _inbound = inbound;
        _outbound = outbound;
        _middleware = middleware;
    }

    public bool HasRunStages => _filters.Length + _inbound.Length + _outbound.Length > 0;

    public bool HasMiddleware => _middleware.Length > 0;

    /// <summary>Creates the stages of one run.</summary>
    /// <exception cref="InvalidOperationException">A factory threw or returned null.</exception>
    public RunStages CreateRunStages(PipelineStageContext context)
    {
        if (!HasRunStages)
        {
            return RunStages.None;
        }

        return new RunStages(Create(_filters, context), Create(_inbound, context), Create(_outbound, context));
    }

    /// <summary>Wraps a session that just connected in every middleware, the first added outermost.</summary>
    public IWorkerSession Wrap(IWorkerSession session, WorkerRuntime runtime)
    {
        if (_middleware.Length == 0)
        {
            return session;
        }

        var context = new SessionMiddlewareContext(runtime.Settings.Identity, runtime.Time, runtime.LoggerFactory, runtime.Services, Interlocked.Increment(ref _connections));
        for (var i = _middleware.Length - 1; i >= 0; i--)
        {
            session = _middleware[i](context, session) ?? throw new InvalidOperationException($"Session middleware #{i + 1} returned null.");
        }

        return session;
    }

    private static StageSlot<T>[] Create<T>((Func<PipelineStageContext, T> Create, bool Owned)[] factories, PipelineStageContext context)
        where T : class
    {
        var slots = new StageSlot<T>[factories.Length];
        for (var i = 0; i < factories.Length; i++)
        {
            T stage;
            try
            {
                stage = factories[i].Create(context) ?? throw new InvalidOperationException("The factory returned null.");
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"The factory of {typeof(T).Name} #{i + 1} failed: {ex.Message}", ex);
            }

            slots[i] = new StageSlot<T>(stage, factories[i].Owned);
        }

        return slots;
    }
}
