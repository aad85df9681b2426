using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>One entry of the run's outbound channel, tagged with the session it was queued for; a write pump skips entries of any other session.</summary>
internal readonly struct OutboundItem
{
    public enum ItemKind : byte
    {
        /// <summary>Wakes the write pump (a liveness round is due).</summary>
        Poke,
        Result,
        Progress,

        /// <summary>Flushes everything queued before it, then completes its <see cref="TaskCompletionSource"/>.</summary>
        Flush,

        /// <summary>Closes the worker's side of the stream after everything queued before it, and ends the session as drained.</summary>
        CloseAfterDrain,

        /// <summary>As <see cref="CloseAfterDrain"/>, ending the session for shutdown.</summary>
        CloseAfterShutdown,
    }

    private OutboundItem(ItemKind kind, long session, object? target, WorkerToServer? frame)
    {
        Kind = kind;
        Session = session;
        Target = target;
        Frame = frame;
    }

    public ItemKind Kind { get; }

    /// <summary>The id of the session the item was queued for.</summary>
    public long Session { get; }

    /// <summary>The <see cref="TrackedResult"/>, the <see cref="ActivityExecution"/> or the flush <see cref="TaskCompletionSource"/>.</summary>
    public object? Target { get; }

    public WorkerToServer? Frame { get; }

    public static OutboundItem Poke(long session) => new(ItemKind.Poke, session, null, null);

    public static OutboundItem Result(TrackedResult entry, long session) => new(ItemKind.Result, session, entry, null);

    public static OutboundItem Progress(ActivityExecution execution, WorkerToServer frame, long session) => new(ItemKind.Progress, session, execution, frame);

    public static OutboundItem Flush(TaskCompletionSource done, long session) => new(ItemKind.Flush, session, done, null);

    public static OutboundItem Close(SessionEndKind kind, long session) =>
        new(kind == SessionEndKind.Drain ? ItemKind.CloseAfterDrain : ItemKind.CloseAfterShutdown, session, null, null);
}
