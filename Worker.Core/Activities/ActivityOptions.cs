namespace Aion.Worker;

/// <summary>Options of one activity registration (the optional last argument of every <c>AddActivity</c> overload).</summary>
public sealed class ActivityOptions
{
    /// <summary>Whether a JSON <c>null</c> input is passed to the handler.</summary>
    /// <value>
    /// Default <see langword="false"/>: the input type decides. A value type accepts null only as
    /// <see cref="Nullable{T}"/> (and <see cref="System.Text.Json.JsonElement"/>, as a Null element); a
    /// reference type only when it is <see cref="object"/>, <see cref="System.Text.Json.Nodes.JsonNode"/>
    /// or <see cref="Protocol.Payload"/>. For any other type a JSON <c>null</c> input is reported TERMINAL,
    /// naming the type, before the handler runs. Set <see langword="true"/> for a reference type whose
    /// handler takes null (nullable annotations such as <c>string?</c> are not visible at run time).
    /// </value>
    public bool AcceptsNullInput { get; init; }

    /// <summary>Whether each execution runs on the thread that starts it, with no thread-pool work item of its own.</summary>
    /// <value>
    /// Default <see langword="false"/>: every execution runs as its own thread-pool work item. Set
    /// <see langword="true"/> only for a synchronous handler (an <c>AddActivity</c> overload taking
    /// <c>Func&lt;TInput, ActivityContext, TOutput&gt;</c>) that returns in microseconds and never blocks:
    /// no I/O, no waits, no locks held for long, no <c>Thread.Sleep</c>, no sync-over-async. Such a handler
    /// then runs where the task is started — on the session's read pump as the task arrives, on the
    /// dispatcher, or in the slot of the activity that just finished — which saves a thread-pool hop
    /// and a context switch per task. While it runs, that thread does nothing else: an inline handler
    /// that blocks holds up receiving tasks, acks and drains for the whole worker. Interceptors run
    /// inline with the handler. Setting it for an asynchronous handler throws
    /// <see cref="ArgumentException"/> at registration.
    /// </value>
    public bool RunInline { get; init; }
}
