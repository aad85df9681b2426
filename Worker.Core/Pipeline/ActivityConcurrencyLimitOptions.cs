using Aion.Worker.Internal;

namespace Aion.Worker.Pipeline;

/// <summary>The built-in per-activity-type concurrency limit, inside <see cref="AionWorkerOptions.MaxConcurrency"/>.</summary>
/// <remarks>
/// A task whose type has no room does not block the queue: the first queued task whose type has
/// room starts instead, and the refused one keeps its place at the front until its type has room.
/// While every queued task's type is full, nothing starts (the queue, bounded by
/// <see cref="AionWorkerOptions.MaxQueuedTasks"/>, then holds reading).
/// </remarks>
public sealed class ActivityConcurrencyLimitOptions
{
    /// <summary>The most activities of each listed type that run at once.</summary>
    /// <value>Default empty; each limit at least 1.</value>
    public IDictionary<string, int> Limits { get; set; } = new Dictionary<string, int>(StringComparer.Ordinal);

    /// <summary>The limit of every type not in <see cref="Limits"/>.</summary>
    /// <value>Default <see langword="null"/>: only <see cref="AionWorkerOptions.MaxConcurrency"/> bounds them; at least 1 when set.</value>
    public int? DefaultLimit { get; set; }

    /// <summary>Checks these options against every rule.</summary>
    /// <returns>One line per problem, naming the option, its rule and the value it had; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new OptionProblems();
        if (Limits is null)
        {
            problems.Add(nameof(Limits), "is required.");
        }
        else
        {
            foreach (var (type, limit) in Limits)
            {
                if (string.IsNullOrEmpty(type))
                {
                    problems.Add(nameof(Limits), "must not name an empty activity type.");
                }

                problems.AtLeast($"{nameof(Limits)}[{type}]", limit, 1);
            }
        }

        if (DefaultLimit is { } fallback)
        {
            problems.AtLeast(nameof(DefaultLimit), fallback, 1);
        }

        return problems.ToList();
    }
}
