using System.Collections.Frozen;
using System.Text;
using Aion.Worker.Codec;

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

    /// <summary>The registered types as a set for ordinal membership checks.</summary>
    public IReadOnlySet<string> TypeSet() => _invokers.Keys.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>Reports each input or result type the worker's JSON codec has no metadata for (a trimmed or AOT app, or a context that lacks it).</summary>
    public void CheckJsonMetadata(JsonPayloadCodec codec, bool explicitCodec, List<string> problems)
    {
        foreach (var (type, invoker) in _invokers.OrderBy(pair => pair.Key, StringComparer.Ordinal))
        {
            Check(type, "input", invoker.InputType, invoker.InputUsesCodec);
            Check(type, "result", invoker.OutputType, invoker.OutputUsesCodec);
        }

        void Check(string activityType, string what, Type type, bool usesCodec)
        {
            if (!usesCodec || codec.HasMetadataFor(type))
            {
                return;
            }

            var why = explicitCodec
                ? "the codec's JsonSerializerContext does not describe it: add [JsonSerializable(typeof(" + type.Name + "))] to it"
                : "reflection-based JSON is off in this app (trimmed or native AOT): register the activity with the AddActivity overload that takes JsonTypeInfo, or UseCodec(new JsonPayloadCodec(MyJsonContext.Default))";
            problems.Add($"Activity '{activityType}': the JSON codec has no metadata for its {what} type {type}; {why}.");
        }
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
