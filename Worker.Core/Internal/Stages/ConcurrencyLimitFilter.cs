using System.Runtime.InteropServices;
using Aion.Worker.Pipeline;

namespace Aion.Worker.Internal.Stages;

/// <summary>The built-in per-activity-type concurrency limit: a task starts only while fewer than its type's limit run.</summary>
internal sealed class ConcurrencyLimitFilter(Dictionary<string, int> limits, int? defaultLimit) : IAdmissionFilter
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);

    public bool TryReserve(in InboundTaskContext task)
    {
        var type = task.ActivityType;
        if (Limit(type) is not { } limit)
        {
            return true;
        }

        lock (_gate)
        {
            ref var running = ref CollectionsMarshal.GetValueRefOrAddDefault(_running, type, out _);
            if (running >= limit)
            {
                return false;
            }

            running++;
            return true;
        }
    }

    public void Release(in InboundTaskContext task)
    {
        var type = task.ActivityType;
        if (Limit(type) is null)
        {
            return;
        }

        lock (_gate)
        {
            ref var running = ref CollectionsMarshal.GetValueRefOrNullRef(_running, type);
            if (!System.Runtime.CompilerServices.Unsafe.IsNullRef(ref running) && --running <= 0)
            {
                _running.Remove(type);
            }
        }
    }

    private int? Limit(string type) => limits.TryGetValue(type, out var limit) ? limit : defaultLimit;
}
