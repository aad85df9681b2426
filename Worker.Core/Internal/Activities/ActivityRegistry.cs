using System.Text;

namespace Aion.Worker.Internal.Activities;

/// <summary>The activity types a worker serves and their invokers.</summary>
internal sealed class ActivityRegistry
{
    private readonly Dictionary<string, ActivityInvoker> _invokers = new(StringComparer.Ordinal);

    public int Count => _invokers.Count;

    public void Add(string activityType, ActivityInvoker invoker)
    {
        ArgumentException.ThrowIfNullOrEmpty(activityType);
        if (!_invokers.TryAdd(activityType, invoker))
        {
            throw new ArgumentException($"An activity of type '{activityType}' is already registered.", nameof(activityType));
        }
    }

    public bool TryGet(string activityType, out ActivityInvoker invoker) => _invokers.TryGetValue(activityType, out invoker!);

    /// <summary>The registered types sorted by the UTF-8 bytes of their names.</summary>
    public IReadOnlyList<string> SortedTypes()
    {
        var types = _invokers.Keys.ToArray();
        Array.Sort(types, CompareUtf8);
        return types;
    }

    public ActivityRegistry Snapshot()
    {
        var copy = new ActivityRegistry();
        foreach (var (type, invoker) in _invokers)
        {
            copy._invokers.Add(type, invoker);
        }

        return copy;
    }

    internal static int CompareUtf8(string left, string right) =>
        Encoding.UTF8.GetBytes(left).AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(right));
}
