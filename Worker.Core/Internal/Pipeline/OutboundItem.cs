using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>One entry of a session's outbound channel, consumed by its sender.</summary>
internal readonly struct OutboundItem
{
    public enum ItemKind : byte
    {
        /// <summary>Wakes the sender (a liveness round is due).</summary>
        Poke,
        Result,
        Progress,
        Flush,
    }

    private OutboundItem(ItemKind kind, object? target, WorkerToServer? frame)
    {
        Kind = kind;
        Target = target;
        Frame = frame;
    }

    public ItemKind Kind { get; }

    /// <summary>The <see cref="TrackedResult"/>, the <see cref="ActivityExecution"/> or the flush <see cref="TaskCompletionSource"/>.</summary>
    public object? Target { get; }

    public WorkerToServer? Frame { get; }

    public static OutboundItem Poke => default;

    public static OutboundItem Result(TrackedResult entry) => new(ItemKind.Result, entry, null);

    public static OutboundItem Progress(ActivityExecution execution, WorkerToServer frame) => new(ItemKind.Progress, execution, frame);

    public static OutboundItem Flush(TaskCompletionSource done) => new(ItemKind.Flush, done, null);
}
