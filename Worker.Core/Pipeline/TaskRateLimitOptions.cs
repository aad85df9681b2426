using System.Globalization;
using Aion.Worker.Internal;

namespace Aion.Worker.Pipeline;

/// <summary>The built-in rate limit on starting tasks: at most <see cref="PermitLimit"/> tasks per <see cref="Period"/>, for all tasks or per activity type.</summary>
/// <remarks>
/// A token bucket over <c>System.Threading.RateLimiting</c>, replenished on the worker's
/// <see cref="TimeProvider"/>: it holds <see cref="PermitLimit"/> permits (the largest burst) and gets
/// <see cref="PermitLimit"/> back every <see cref="Period"/>. A task takes its permit when it reaches
/// the head of the queue; a task waiting for one is held (it stays queued and heartbeated, and the
/// tasks behind it wait), never failed.
/// </remarks>
public sealed class TaskRateLimitOptions
{
    /// <summary>How many tasks may start per period, and the largest burst.</summary>
    /// <value>Required; at least 1.</value>
    public int PermitLimit { get; set; }

    /// <summary>How often the permits are replenished.</summary>
    /// <value>Default 1 second; greater than zero.</value>
    public TimeSpan Period { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Whether each activity type has its own bucket; otherwise one bucket serves every limited task.</summary>
    /// <value>Default <see langword="false"/>.</value>
    public bool PerActivityType { get; set; }

    /// <summary>The activity types the limit applies to; the others start without a permit.</summary>
    /// <value>Default <see langword="null"/>: every type.</value>
    public IList<string>? ActivityTypes { get; set; }

    /// <summary>Checks these options against every rule.</summary>
    /// <returns>One line per problem, naming the option, its rule and the value it had; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var problems = new OptionProblems();
        problems.AtLeast(nameof(PermitLimit), PermitLimit, 1);
        problems.Positive(nameof(Period), Period);
        if (ActivityTypes is { } types)
        {
            for (var i = 0; i < types.Count; i++)
            {
                if (string.IsNullOrEmpty(types[i]))
                {
                    problems.Add(string.Create(CultureInfo.InvariantCulture, $"{nameof(ActivityTypes)}[{i}]"), "must not be empty.");
                }
            }
        }

        return problems.ToList();
    }
}
