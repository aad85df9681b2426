using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Internal.Pipeline;
using Microsoft.Extensions.Logging;

namespace Aion.Worker;

/// <summary>What an activity knows about its own execution, and how it talks back to the engine.</summary>
public sealed class ActivityContext
{
    private readonly ActivityExecution _execution;

    // The execution drops its task when its slot is freed; a context the handler kept still reads it.
    private readonly Protocol.ActivityTask _task;

    internal ActivityContext(ActivityExecution execution)
    {
        _execution = execution;
        _task = execution.Task;
    }

    /// <summary>The execution this context belongs to.</summary>
    internal ActivityExecution Execution => _execution;

    /// <summary>The workflow id, exactly as the engine sent it.</summary>
    public string WorkflowId => _execution.Key.WorkflowId;

    /// <summary>The activity id: its sequence position within the workflow.</summary>
    public ulong ActivityId => _execution.Key.Position;

    /// <summary>The workflow run id, or <see langword="null"/> when the task had none.</summary>
    public string? RunId => _task.RunId?.Uuid;

    /// <summary>The activity type this execution was dispatched as.</summary>
    public string ActivityType => _execution.ActivityType;

    /// <summary>The attempt, one-based, as sent by the engine.</summary>
    public uint Attempt => _execution.Key.Attempt;

    /// <summary>Display-only labels the engine sent with the task.</summary>
    public IReadOnlyDictionary<string, string> Labels => _task.Labels;

    /// <summary>The engine's heartbeat window for the session that dispatched this task; zero when the engine tracks no liveness.</summary>
    /// <remarks>The worker sends liveness heartbeats on its own; call <see cref="HeartbeatAsync{TProgress}(TProgress, CancellationToken)"/> to report progress.</remarks>
    public TimeSpan HeartbeatWindow => _execution.HeartbeatWindow;

    /// <summary>Fires when the worker shuts down or the engine asks to cancel this activity; see <see cref="CancellationReason"/>.</summary>
    public CancellationToken CancellationToken => _execution.CancellationToken;

    /// <summary>Why <see cref="CancellationToken"/> fired, or <see cref="ActivityCancellationReason.None"/>.</summary>
    public ActivityCancellationReason CancellationReason => _execution.CancellationReason;

    /// <summary>The worker's logger; entries carry the workflow id, activity id and attempt as a scope.</summary>
    public ILogger Logger => _execution.Logger;

    /// <summary>The services of this execution, when a host provides them (a fresh dependency-injection scope per execution).</summary>
    /// <value><see langword="null"/> unless the worker is hosted (Aion.Worker.Extensions.Hosting), which sets it before any interceptor of yours runs.</value>
    public IServiceProvider? Services { get; internal set; }

    /// <summary>Disposes <paramref name="resource"/> once this execution's outcome is recorded in the worker's unacked-result tracker.</summary>
    /// <param name="resource">What to dispose, e.g. a dependency-injection scope.</param>
    /// <remarks>Resources are disposed in reverse order of registration; a failing dispose is logged and does not change the outcome.</remarks>
    public void DisposeAfterOutcome(IAsyncDisposable resource) => _execution.DisposeAfterOutcome(resource ?? throw new ArgumentNullException(nameof(resource)));

    /// <summary>Sends a progress heartbeat now; while disconnected, the latest progress is kept and sent on the next session.</summary>
    /// <typeparam name="TProgress">The progress type, encoded with the worker's codec.</typeparam>
    /// <param name="progress">The progress to report.</param>
    /// <param name="cancellationToken">Stops waiting for room in the outbound queue.</param>
    /// <returns>A task that completes once the heartbeat is queued for sending.</returns>
    /// <exception cref="Codec.PayloadCodecException">The progress cannot be encoded.</exception>
    /// <exception cref="ArgumentException">The encoded heartbeat exceeds the worker's max send message size.</exception>
    /// <remarks>Never throws because of the connection. A <see cref="Protocol.Payload"/> is sent as it is.</remarks>
    public ValueTask HeartbeatAsync<TProgress>(TProgress progress, CancellationToken cancellationToken = default) =>
        _execution.HeartbeatAsync(progress, cancellationToken);

    /// <summary>Sends a progress heartbeat encoded as JSON with the given metadata (trimming- and native-AOT-safe), whatever the worker's codec.</summary>
    /// <typeparam name="TProgress">The progress type.</typeparam>
    /// <param name="progress">The progress to report.</param>
    /// <param name="progressType">The progress type's JSON metadata, e.g. <c>MyJsonContext.Default.ChargeProgress</c>.</param>
    /// <param name="cancellationToken">Stops waiting for room in the outbound queue.</param>
    /// <returns>A task that completes once the heartbeat is queued for sending.</returns>
    /// <exception cref="Codec.PayloadCodecException">The progress cannot be encoded.</exception>
    /// <exception cref="ArgumentException">The encoded heartbeat exceeds the worker's max send message size.</exception>
    /// <remarks>Never throws because of the connection.</remarks>
    public ValueTask HeartbeatAsync<TProgress>(TProgress progress, JsonTypeInfo<TProgress> progressType, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(progressType);
        return _execution.HeartbeatAsync(Codec.JsonPayloadCodec.Encode(progress, progressType), cancellationToken);
    }

    /// <inheritdoc />
    public override string ToString() => $"{ActivityType} {WorkflowId}/{ActivityId} attempt {Attempt}";
}
