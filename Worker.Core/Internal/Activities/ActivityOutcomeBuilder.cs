using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Activities;

/// <summary>
/// Turns what an activity did into the frame the worker reports, exactly as the engine will see it:
/// the success frame, the failure frames and the exception classification table, the details
/// encoding, the size limit, and the progress heartbeat. Needs no session and no pipeline.
/// </summary>
internal sealed class ActivityOutcomeBuilder
{
    private readonly IPayloadCodec _codec;
    private readonly HashSet<string> _acceptedContentTypes;
    private readonly string _acceptedList;
    private readonly int _maxSendMessageSize;
    private readonly WorkerLog _log;

    public ActivityOutcomeBuilder(IPayloadCodec codec, IReadOnlyCollection<string> acceptedContentTypes, int maxSendMessageSize, WorkerLog log)
    {
        _codec = codec;
        _acceptedContentTypes = new HashSet<string>(acceptedContentTypes, StringComparer.Ordinal);
        _acceptedList = string.Join(", ", acceptedContentTypes);
        _maxSendMessageSize = maxSendMessageSize;
        _log = log;
    }

    /// <summary>Whether the engine accepts payloads of <paramref name="contentType"/>.</summary>
    public bool Accepts(string contentType) => _acceptedContentTypes.Contains(contentType);

    /// <summary>The TERMINAL failure for a task whose activity type has no handler.</summary>
    public static WorkerToServer NoHandler(ActivityTask task) =>
        Failure(task, ActivityErrorKind.Terminal, $"No handler is registered for activity type '{task.ActivityType}' on this worker.", null);

    /// <summary>The result frame for a returned value (TERMINAL when the engine does not accept its content type).</summary>
    public WorkerToServer Success(ActivityTask task, Payload output)
    {
        if (!_acceptedContentTypes.Contains(output.ContentType))
        {
            return Failure(task, ActivityErrorKind.Terminal, $"The result's content type '{output.ContentType}' is not accepted by the engine (it accepts {_acceptedList}).", null);
        }

        var result = new ActivityResult { WorkflowId = task.WorkflowId, ActivityId = task.ActivityId, Result = output };
        if (task.RunId is not null)
        {
            result.RunId = task.RunId;
        }

        return new WorkerToServer { Result = result };
    }

    /// <summary>A failure frame.</summary>
    public static WorkerToServer Failure(ActivityTask task, ActivityErrorKind kind, string message, Payload? details)
    {
        var error = new ActivityError { Kind = kind, Message = message ?? string.Empty };
        if (details is not null)
        {
            error.Details = details;
        }

        var result = new ActivityResult { WorkflowId = task.WorkflowId, ActivityId = task.ActivityId, Error = error };
        if (task.RunId is not null)
        {
            result.RunId = task.RunId;
        }

        return new WorkerToServer { Result = result };
    }

    /// <summary>The failure frame for an exception the activity threw (spec/BEHAVIOUR.md, Activities).</summary>
    /// <param name="task">The task.</param>
    /// <param name="exception">What the activity threw.</param>
    /// <param name="contextCancelled">Whether the activity's context token is cancelled now.</param>
    /// <param name="reason">Why it was cancelled, when it was.</param>
    public WorkerToServer Classify(ActivityTask task, Exception exception, bool contextCancelled, ActivityCancellationReason reason)
    {
        switch (exception)
        {
            case ActivityFailureException failure:
                var details = EncodeDetails(failure, out var detailsProblem);
                var message = detailsProblem is null ? failure.Message : $"{failure.Message} (details could not be encoded: {detailsProblem})";
                return Failure(task, failure.WireKind, message, details);
            case ActivityInputException or ActivityOutputException:
                _log.ActivityCodecFailed(exception, task.ActivityType, task.WorkflowId.Uuid, task.ActivityId.SequencePosition, task.Attempt);
                return Failure(task, ActivityErrorKind.Terminal, exception.Message, null);
            case OperationCanceledException when contextCancelled:
                return reason == ActivityCancellationReason.CancelRequested
                    ? Failure(task, ActivityErrorKind.Terminal, "The activity was cancelled at the engine's request.", null)
                    : Failure(task, ActivityErrorKind.Retryable, "The activity was cancelled because the worker is shutting down.", null);
            default:
                _log.ActivityThrew(exception, task.ActivityType, task.WorkflowId.Uuid, task.ActivityId.SequencePosition, task.Attempt);
                return Failure(task, ActivityErrorKind.Retryable, string.IsNullOrEmpty(exception.Message) ? exception.GetType().FullName! : exception.Message, null);
        }
    }

    /// <summary>The frame itself, or a TERMINAL "too large" failure when it exceeds the max send message size.</summary>
    public WorkerToServer EnforceSizeLimit(ActivityTask task, WorkerToServer frame)
    {
        var size = frame.CalculateSize();
        if (size <= _maxSendMessageSize)
        {
            return frame;
        }

        _log.ResultTooLarge(task.ActivityType, task.WorkflowId.Uuid, task.ActivityId.SequencePosition, task.Attempt, size, _maxSendMessageSize);
        return Failure(task, ActivityErrorKind.Terminal, $"The activity's result was too large to send: {size} bytes, over the limit of {_maxSendMessageSize} bytes.", null);
    }

    /// <summary>A progress heartbeat carrying <paramref name="progress"/> (already encoded); progress too large to send is misuse and throws.</summary>
    /// <exception cref="ArgumentException">The heartbeat exceeds the max send message size.</exception>
    public WorkerToServer Progress(ActivityTask task, Payload progress)
    {
        var frame = new WorkerToServer
        {
            Heartbeat = new Heartbeat { WorkflowId = task.WorkflowId, ActivityId = task.ActivityId, Progress = progress },
        };
        var size = frame.CalculateSize();
        if (size > _maxSendMessageSize)
        {
            throw new ArgumentException(
                $"The progress heartbeat is {size} bytes, over the worker's max send message size of {_maxSendMessageSize} bytes.",
                nameof(progress));
        }

        return frame;
    }

    private Payload? EncodeDetails(ActivityFailureException failure, out string? problem)
    {
        problem = null;
        if (failure.Details is null)
        {
            return null;
        }

        try
        {
            var details = failure.Details is Payload raw ? raw : _codec.Encode(failure.Details);
            if (!_acceptedContentTypes.Contains(details.ContentType))
            {
                problem = $"content type '{details.ContentType}' is not accepted by the engine";
                return null;
            }

            return details;
        }
        catch (Exception ex)
        {
            problem = ex.Message;
            return null;
        }
    }
}
