using Aion.Worker.Internal.Activities;
using Aion.Worker.Internal.Stages;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// An execution of a worker with stages: it remembers its run's stages and whether the admission
/// filters reserved room for it, and sends its result, failure details and progress through the
/// outbound stages once, before the outcome is tracked. (A worker without stages creates plain
/// <see cref="ActivityExecution"/>s and pays for none of this.)
/// </summary>
internal sealed class StagedExecution : ActivityExecution
{
    private int _reserved;

    public StagedExecution(WorkerRuntime runtime, ActivityTask task, ExecutionKey key, ActivityInvoker? invoker, WorkerRegistration registration, long sessionId, RunStages stages)
        : base(runtime, task, key, invoker, registration, sessionId) => Stages = stages;

    public RunStages Stages { get; }

    /// <summary>Notes that the filters reserved room for this execution.</summary>
    public void Reserved() => Volatile.Write(ref _reserved, 1);

    /// <summary>Gives the filters' room back, once.</summary>
    public void ReleaseReservation()
    {
        if (Interlocked.Exchange(ref _reserved, 0) == 1)
        {
            Stages.Release(new InboundTaskContext(this));
        }
    }

    /// <summary>The result frame for <paramref name="output"/> after the outbound stages; a RETRYABLE failure naming the stage when one threw (the untransformed payload is never sent).</summary>
    public async ValueTask<WorkerToServer> SuccessAsync(Payload output)
    {
        var (transformed, failure) = await TransformAsync(OutboundPayloadKind.Result, output).ConfigureAwait(false);
        return transformed is null
            ? ActivityOutcomeBuilder.Failure(Task, ActivityErrorKind.Retryable, failure!, null)
            : Runtime.Outcomes.Success(Task, transformed);
    }

    /// <summary>The failure frame with its details transformed; a RETRYABLE failure naming the stage when one threw.</summary>
    public async ValueTask<WorkerToServer> TransformDetailsAsync(WorkerToServer frame)
    {
        var error = frame.Result.Error;
        var (transformed, failure) = await TransformAsync(OutboundPayloadKind.FailureDetails, error.Details).ConfigureAwait(false);
        if (transformed is null)
        {
            return ActivityOutcomeBuilder.Failure(Task, ActivityErrorKind.Retryable, failure!, null);
        }

        return Runtime.Outcomes.Accepts(transformed.ContentType)
            ? ActivityOutcomeBuilder.Failure(Task, error.Kind, error.Message, transformed)
            : ActivityOutcomeBuilder.Failure(Task, error.Kind, $"{error.Message} (details could not be encoded: content type '{transformed.ContentType}' is not accepted by the engine)", null);
    }

    /// <summary>Sends progress after the outbound stages; a failing transform drops this frame.</summary>
    public async ValueTask TransformAndSendProgressAsync(Payload progress, CancellationToken cancellationToken)
    {
        var (transformed, _) = await TransformAsync(OutboundPayloadKind.Progress, progress).ConfigureAwait(false);
        if (transformed is not null)
        {
            await SendProgressAsync(transformed, cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask<(Payload? Payload, string? Failure)> TransformAsync(OutboundPayloadKind kind, Payload payload)
    {
        var cancellationToken = Runtime.Pipeline?.Shutdown ?? CancellationToken.None;
        foreach (var slot in Stages.Outbound)
        {
            try
            {
                payload = await slot.Stage.TransformAsync(new OutboundPayloadContext(this, kind, payload), cancellationToken).ConfigureAwait(false)
                    ?? throw new InvalidOperationException("The stage returned no payload.");
            }
            catch (Exception ex)
            {
                var sessionId = Runtime.CurrentSession?.Id ?? SessionId;
                if (slot.ShouldLog(sessionId))
                {
                    Runtime.Log.OutboundStageFailed(ex, slot.Name, kind, sessionId);
                }

                return (null, $"The outbound stage '{slot.Name}' failed on the {Describe(kind)}: {ex.Message}");
            }
        }

        return (payload, null);
    }

    private static string Describe(OutboundPayloadKind kind) => kind switch
    {
        OutboundPayloadKind.Result => "result",
        OutboundPayloadKind.FailureDetails => "failure details",
        _ => "progress",
    };
}
