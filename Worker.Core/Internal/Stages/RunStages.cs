using Aion.Worker.Pipeline;

namespace Aion.Worker.Internal.Stages;

/// <summary>The stages of one run, created by their factories when the run starts and disposed when it ends.</summary>
internal sealed class RunStages
{
    public static readonly RunStages None = new([], [], []);

    // The run itself, plus every execution in flight that may still call a stage: the stages are
    // disposed when the last of them is done (an activity may outlive its run's pipeline).
    private int _users = 1;

    public RunStages(StageSlot<IAdmissionFilter>[] filters, StageSlot<IInboundStage>[] inbound, StageSlot<IOutboundStage>[] outbound)
    {
        Filters = filters;
        Inbound = inbound;
        Outbound = outbound;
    }

    public StageSlot<IAdmissionFilter>[] Filters { get; }

    public StageSlot<IInboundStage>[] Inbound { get; }

    public StageSlot<IOutboundStage>[] Outbound { get; }

    /// <summary>Whether the dispatcher must consult filters or stages before starting a task.</summary>
    public bool DecidesAdmission => Filters.Length + Inbound.Length > 0;

    public bool TransformsOutbound => Outbound.Length > 0;

    public bool IsEmpty => !DecidesAdmission && !TransformsOutbound;

    /// <summary>Reserves room in every filter for <paramref name="task"/>; on a refusal gives back what it took.</summary>
    public bool TryReserve(in InboundTaskContext task)
    {
        for (var i = 0; i < Filters.Length; i++)
        {
            if (!Filters[i].Stage.TryReserve(task))
            {
                for (var j = i - 1; j >= 0; j--)
                {
                    Filters[j].Stage.Release(task);
                }

                return false;
            }
        }

        return true;
    }

    public void Release(in InboundTaskContext task)
    {
        foreach (var filter in Filters)
        {
            filter.Stage.Release(task);
        }
    }

    /// <summary>An execution of this run entered the in-flight table.</summary>
    public void Enter() => Interlocked.Increment(ref _users);

    /// <summary>An execution left the in-flight table, or the run ended (<see cref="EndRun"/>); the last one out disposes the stages.</summary>
    public void Exit(WorkerLog log)
    {
        if (Interlocked.Decrement(ref _users) == 0 && !ReferenceEquals(this, None))
        {
            _ = DisposeAsync(log).AsTask();
        }
    }

    /// <summary>The run's pipeline ended: the stages are disposed once no execution of the run is in flight.</summary>
    public void EndRun(WorkerLog log) => Exit(log);

    /// <summary>Disposes the stages the run created.</summary>
    private async ValueTask DisposeAsync(WorkerLog log)
    {
        foreach (var stage in Owned())
        {
            try
            {
                await Disposal.DisposeAsync(stage).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                log.StageDisposeFailed(ex, stage.GetType().Name);
            }
        }
    }

    private IEnumerable<object> Owned()
    {
        foreach (var slot in Filters)
        {
            if (slot.Owned)
            {
                yield return slot.Stage;
            }
        }

        foreach (var slot in Inbound)
        {
            if (slot.Owned)
            {
                yield return slot.Stage;
            }
        }

        foreach (var slot in Outbound)
        {
            if (slot.Owned)
            {
                yield return slot.Stage;
            }
        }
    }
}
