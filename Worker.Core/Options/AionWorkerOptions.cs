using System.Globalization;
using System.Text;
using Aion.Worker.Internal;

namespace Aion.Worker;

/// <summary>Configuration of an <see cref="AionWorker"/>: a plain class, bindable from configuration.</summary>
/// <remarks>
/// Options are validated once, when the worker is built; every problem is reported in one
/// <see cref="InvalidOperationException"/> that names each offending option and its rule. The built worker
/// keeps a resolved copy (<see cref="AionWorker.Options"/>), so later changes to this instance have no effect.
/// </remarks>
public sealed class AionWorkerOptions
{
    /// <summary>The default of <see cref="MaxUnackedResults"/>.</summary>
    public const int DefaultMaxUnackedResults = 10_000;

    /// <summary>The default of <see cref="MaxSendMessageSize"/>: 4 MiB, the gRPC default.</summary>
    public const int DefaultMaxSendMessageSize = 4 * 1024 * 1024;

    /// <summary>The default of <see cref="MaxUnackedResultBytes"/>: 256 MiB.</summary>
    public const long DefaultMaxUnackedResultBytes = 256L * 1024 * 1024;

    /// <summary>The default of <see cref="MaxTaskInputSize"/>: 4 MiB, the engine's message limit.</summary>
    public const int DefaultMaxTaskInputSize = 4 * 1024 * 1024;

    /// <summary>How many bytes of queued task frames the worker reads past a full queue while the unacked tracker blocks (to reach the acks behind them): 16 MiB.</summary>
    public const long ReadPastByteLimit = 16L * 1024 * 1024;

    /// <summary>The namespaces this worker serves, in order.</summary>
    /// <value>Default <see langword="null"/>, meaning <c>["default"]</c>. Non-empty; each name non-empty, unique, without <c>,</c>, only characters 0x21–0x7E.</value>
    public List<string>? Namespaces { get; set; }

    /// <summary>The subject sent in the <c>x-aion-subject</c> header.</summary>
    /// <value>Default <c>worker</c>; non-empty, characters 0x21–0x7E.</value>
    public string Subject { get; set; } = "worker";

    /// <summary>The task queue (pool within each namespace).</summary>
    /// <value>Required; may be empty, which the engine reads as <c>default</c>.</value>
    public string? TaskQueue { get; set; }

    /// <summary>The locality hint sent at registration.</summary>
    /// <value>Default <see langword="null"/>, meaning the host name (env <c>HOSTNAME</c>, then the OS host name, then <c>localhost</c>); empty means no affinity.</value>
    public string? Node { get; set; }

    /// <summary>This worker's name in logs, metrics and traces (never sent to the engine).</summary>
    /// <value>Required; non-empty.</value>
    public string? Identity { get; set; }

    /// <summary>The most activities that run at once.</summary>
    /// <value>Required; at least 1.</value>
    public int MaxConcurrency { get; set; }

    /// <summary>The bound of the queue of tasks received but not yet started.</summary>
    /// <value>Default <see langword="null"/>, meaning <c>max(64, 2 × MaxConcurrency)</c>; at least 1.</value>
    /// <remarks>Only when this queue is full does the worker stop reading the stream, letting HTTP/2 flow control push back.</remarks>
    public int? MaxQueuedTasks { get; set; }

    /// <summary>The bound of results kept until the engine acknowledges them (plus running activities).</summary>
    /// <value>Default 10,000; at least 1.</value>
    /// <remarks>A task starts only while tracked results plus running activities stay below this bound; results are never dropped to make room.</remarks>
    public int MaxUnackedResults { get; set; } = DefaultMaxUnackedResults;

    /// <summary>The bound of the encoded bytes of results kept until the engine acknowledges them.</summary>
    /// <value>Default 256 MiB (<see cref="DefaultMaxUnackedResultBytes"/>); at least 1.</value>
    /// <remarks>
    /// A task starts only while the tracked results' bytes stay below this bound. Running activities
    /// reserve nothing, so the tracker may overshoot it by at most <see cref="MaxConcurrency"/> ×
    /// <see cref="MaxSendMessageSize"/> bytes (the results of the activities running when it was reached).
    /// While this bound or <see cref="MaxUnackedResults"/> keeps tasks from starting, the worker reads past
    /// a full task queue, up to <see cref="ReadPastByteLimit"/> bytes of queued task frames, to reach the
    /// acks behind them; if no ack arrives for <see cref="ReconnectOptions.MaxBackoff"/> the session ends
    /// as a stalled error drop that never counts as healthy, so the run fails after
    /// <see cref="ReconnectOptions.MaxAttempts"/> stalled sessions in a row instead of reconnecting forever.
    /// </remarks>
    public long MaxUnackedResultBytes { get; set; } = DefaultMaxUnackedResultBytes;

    /// <summary>How long a graceful shutdown waits, after the last result was sent, for the engine's acks of the results sent on the session.</summary>
    /// <value>Default 5 seconds; greater than zero.</value>
    /// <remarks>
    /// Results still unacknowledged then are logged at Warning (the first 100 ids and the count) and
    /// listed in <see cref="AionWorker.LastRunSummary"/>. A drain's ack wait keeps using <see cref="SendTimeout"/>:
    /// what a drain leaves unacked is replayed on the next session.
    /// </remarks>
    public TimeSpan ShutdownAckTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The largest task input (the input payload's bytes) the worker runs.</summary>
    /// <value>Default 4 MiB (<see cref="DefaultMaxTaskInputSize"/>); at least 1.</value>
    /// <remarks>
    /// A larger input is reported as a TERMINAL failure ("input of N bytes exceeds the limit of M") with
    /// the task's ids, and the session goes on. The transports' receive limits default to a 64 MiB wire
    /// cap so that such a task is read and reported; a frame over the wire cap ends the session.
    /// </remarks>
    public int MaxTaskInputSize { get; set; } = DefaultMaxTaskInputSize;

    /// <summary>Establishment, backoff and drop budget.</summary>
    public ReconnectOptions Reconnect { get; set; } = new();

    /// <summary>The bound of one establishment try: connect, first write, response headers and RegisterAck.</summary>
    /// <value>Default <see langword="null"/>, meaning <see cref="ReconnectOptions.MaxBackoff"/>; greater than zero.</value>
    public TimeSpan? RegisterTimeout { get; set; }

    /// <summary>The deadline of every outbound send (result, heartbeat, replay).</summary>
    /// <value>Default <see langword="null"/>, meaning <see cref="ReconnectOptions.MaxBackoff"/>; greater than zero.</value>
    public TimeSpan? SendTimeout { get; set; }

    /// <summary>The largest encoded outbound frame, checked on every frame whatever the transport.</summary>
    /// <value>Default 4 MiB; at least 1024 bytes.</value>
    /// <remarks>A result that would exceed it is replaced by a terminal failure saying it was too large.</remarks>
    public int MaxSendMessageSize { get; set; } = DefaultMaxSendMessageSize;

    /// <summary>A static bearer token, sent as <c>authorization: Bearer …</c>.</summary>
    /// <value>Default none; non-empty, characters 0x21–0x7E. Never logged; redacted by <see cref="ToString"/>.</value>
    public string? BearerToken { get; set; }

    /// <summary>A provider asked for a fresh bearer token on every connect; takes precedence over <see cref="BearerToken"/>.</summary>
    /// <remarks>A provider's token is checked at each connect; an invalid one ends the run (non-retryable). With a provider, a mid-stream <c>Unauthenticated</c> is a retryable drop.</remarks>
    public Func<CancellationToken, ValueTask<string>>? BearerTokenProvider { get; set; }

    /// <summary>Checks these options against every rule, without building a worker.</summary>
    /// <returns>One line per problem, naming the option, its rule and the value it had; empty when the options are valid.</returns>
    /// <remarks><see cref="AionWorkerBuilder.Build"/> runs the same checks and throws one exception listing every problem.</remarks>
    public IReadOnlyList<string> Validate()
    {
        var problems = new OptionProblems();
        var namespaces = Namespaces ?? ["default"];
        if (namespaces.Count == 0)
        {
            problems.Add(nameof(Namespaces), "must name at least one namespace (leave it unset for [\"default\"]).");
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < namespaces.Count; i++)
        {
            var option = string.Create(CultureInfo.InvariantCulture, $"{nameof(Namespaces)}[{i}]");
            var name = namespaces[i];
            if (string.IsNullOrEmpty(name))
            {
                problems.Add(option, "must not be empty.");
            }
            else if (name.Contains(','))
            {
                problems.Add(option, $"'{name}' must not contain ','.");
            }
            else if (!WorkerSettings.IsVisibleAscii(name))
            {
                problems.Add(option, $"'{WorkerSettings.Printable(name)}' may contain only characters 0x21-0x7E (no whitespace, no non-ASCII).");
            }
            else if (!seen.Add(name))
            {
                problems.Add(option, $"'{name}' is a duplicate.");
            }
        }

        if (string.IsNullOrEmpty(Subject))
        {
            problems.Add(nameof(Subject), "must not be empty.");
        }
        else if (!WorkerSettings.IsVisibleAscii(Subject))
        {
            problems.Add(nameof(Subject), $"'{WorkerSettings.Printable(Subject)}' may contain only characters 0x21-0x7E.");
        }

        if (TaskQueue is null)
        {
            problems.Add(nameof(TaskQueue), "is required (use \"\" for the engine's default queue).");
        }

        if (string.IsNullOrWhiteSpace(Identity))
        {
            problems.Add(nameof(Identity), "is required and must not be empty.");
        }

        problems.AtLeast(nameof(MaxConcurrency), MaxConcurrency, 1);
        if (MaxQueuedTasks is { } maxQueuedTasks)
        {
            problems.AtLeast(nameof(MaxQueuedTasks), maxQueuedTasks, 1);
        }

        problems.AtLeast(nameof(MaxUnackedResults), MaxUnackedResults, 1);
        problems.AtLeast(nameof(MaxUnackedResultBytes), MaxUnackedResultBytes, 1, "byte");
        problems.Positive(nameof(ShutdownAckTimeout), ShutdownAckTimeout);
        problems.AtLeast(nameof(MaxTaskInputSize), MaxTaskInputSize, 1, "byte");
        problems.AtLeast(nameof(MaxSendMessageSize), MaxSendMessageSize, 1024, "bytes");
        if (problems.Required(nameof(Reconnect), Reconnect))
        {
            Reconnect.Validate(problems.For(nameof(Reconnect)));
        }

        if (RegisterTimeout is { } registerTimeout)
        {
            problems.Positive(nameof(RegisterTimeout), registerTimeout);
        }

        if (SendTimeout is { } sendTimeout)
        {
            problems.Positive(nameof(SendTimeout), sendTimeout);
        }

        if (BearerToken is { } token)
        {
            if (token.Length == 0)
            {
                problems.Add(nameof(BearerToken), "must not be empty when set.");
            }
            else if (!WorkerSettings.IsVisibleAscii(token))
            {
                // Never echo the token itself.
                problems.Add(nameof(BearerToken), "may contain only characters 0x21-0x7E (no whitespace, no non-ASCII).");
            }
        }

        return problems.ToList();
    }

    /// <summary>Copies these options, with their own <see cref="Namespaces"/> list and <see cref="Reconnect"/> options.</summary>
    /// <returns>A copy that can be changed without affecting this instance.</returns>
    public AionWorkerOptions Clone()
    {
        var clone = (AionWorkerOptions)MemberwiseClone();
        clone.Namespaces = Namespaces is null ? null : [.. Namespaces];
        clone.Reconnect = Reconnect?.Clone()!;
        return clone;
    }

    /// <summary>Describes the options; the bearer token is redacted.</summary>
    public override string ToString()
    {
        var text = new StringBuilder("AionWorkerOptions { ");
        text.Append("Identity=").Append(Identity)
            .Append(", TaskQueue=").Append(TaskQueue)
            .Append(", Namespaces=[").Append(Namespaces is null ? "default" : string.Join(",", Namespaces)).Append(']')
            .Append(", Subject=").Append(Subject)
            .Append(", Node=").Append(Node)
            .Append(", MaxConcurrency=").Append(MaxConcurrency)
            .Append(", MaxQueuedTasks=").Append(MaxQueuedTasks)
            .Append(", MaxUnackedResults=").Append(MaxUnackedResults)
            .Append(", MaxUnackedResultBytes=").Append(MaxUnackedResultBytes)
            .Append(", ShutdownAckTimeout=").Append(ShutdownAckTimeout)
            .Append(", MaxTaskInputSize=").Append(MaxTaskInputSize)
            .Append(", RegisterTimeout=").Append(RegisterTimeout)
            .Append(", SendTimeout=").Append(SendTimeout)
            .Append(", MaxSendMessageSize=").Append(MaxSendMessageSize)
            .Append(", Reconnect={ ").Append(Reconnect).Append(" }")
            .Append(", BearerToken=").Append(BearerToken is null ? "none" : "***")
            .Append(", BearerTokenProvider=").Append(BearerTokenProvider is null ? "none" : "set")
            .Append(" }");
        return text.ToString();
    }
}
