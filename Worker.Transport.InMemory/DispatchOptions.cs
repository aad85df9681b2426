using Aion.Worker.Protocol;

namespace Aion.Worker.Transport.InMemory;

/// <summary>Field values of a task the <see cref="InMemoryEngine"/> dispatches.</summary>
public sealed record DispatchOptions
{
    internal static readonly DispatchOptions Default = new();

    /// <summary>The workflow id; default a new lower-case UUID.</summary>
    public string? WorkflowId { get; init; }

    /// <summary>The sequence position; default the engine's next position.</summary>
    public ulong? Position { get; init; }

    /// <summary>The attempt; default 1.</summary>
    public uint Attempt { get; init; } = 1;

    /// <summary>The run id; default none.</summary>
    public string? RunId { get; init; }

    /// <summary>Display-only labels.</summary>
    public IReadOnlyDictionary<string, string>? Labels { get; init; }

    /// <summary>The task these options describe: a fresh workflow id and the next position where they give none.</summary>
    internal ActivityTask CreateTask(string activityType, Payload input, ref ulong lastPosition)
    {
        var task = new ActivityTask
        {
            WorkflowId = new WorkflowId { Uuid = WorkflowId ?? Guid.NewGuid().ToString() },
            ActivityId = new ActivityId { SequencePosition = Position ?? Interlocked.Increment(ref lastPosition) },
            ActivityType = activityType,
            Input = input,
            Attempt = Attempt,
        };
        if (RunId is not null)
        {
            task.RunId = new RunId { Uuid = RunId };
        }

        if (Labels is not null)
        {
            foreach (var (name, value) in Labels)
            {
                task.Labels[name] = value;
            }
        }

        return task;
    }
}
