using Microsoft.Extensions.Logging;

namespace Aion.Worker.Internal;

/// <summary>Every log entry the worker writes, with stable event ids.</summary>
internal sealed partial class WorkerLog
{
    private readonly ILogger _logger;

    public WorkerLog(ILogger logger)
    {
        _logger = logger;
    }

    public ILogger Logger => _logger;

    [LoggerMessage(1, LogLevel.Information, "Worker {Identity} registered: worker id {WorkerId}, namespaces '{Namespace}', heartbeat window {HeartbeatWindowMs} ms, session {SessionId}")]
    public partial void SessionStarted(string identity, ulong workerId, string @namespace, double heartbeatWindowMs, long sessionId);

    [LoggerMessage(2, LogLevel.Warning, "Worker {Identity} session {SessionId} dropped ({EndKind}): {Reason}; drops {Drops} of {MaxAttempts}, healthy {Healthy}")]
    public partial void SessionDropped(string identity, long sessionId, SessionEndKind endKind, string reason, int drops, int maxAttempts, bool healthy);

    [LoggerMessage(3, LogLevel.Information, "Worker {Identity} session {SessionId} drained; redialling in {DelayMs} ms without spending budget")]
    public partial void SessionDrained(string identity, long sessionId, double delayMs);

    [LoggerMessage(4, LogLevel.Error, "Worker {Identity} exhausted its drop budget after {Drops} drops")]
    public partial void BudgetExhausted(Exception error, string identity, int drops);

    // A retried try is one line with the error's message; its exception (stack, inner exceptions) only at Debug (33).
    [LoggerMessage(5, LogLevel.Warning, "Worker {Identity} establishment try {Attempt} failed ({ErrorKind}, retryable {Retryable}); next try in {DelayMs} ms: {Error}")]
    public partial void EstablishmentFailed(string identity, int attempt, AionErrorKind errorKind, bool retryable, double delayMs, string error);

    [LoggerMessage(6, LogLevel.Error, "Worker {Identity} could not establish a session after {Attempts} tries ({ErrorKind}): {Error}")]
    public partial void EstablishmentGaveUp(string identity, int attempts, AionErrorKind errorKind, string error);

    [LoggerMessage(33, LogLevel.Debug, "Worker {Identity} establishment try {Attempt} failed; the full error")]
    public partial void EstablishmentFailureDetail(Exception error, string identity, int attempt);

    [LoggerMessage(7, LogLevel.Information, "Worker {Identity} session {SessionId} ended for shutdown")]
    public partial void SessionShutdown(string identity, long sessionId);

    [LoggerMessage(8, LogLevel.Error, "Worker {Identity} run failed with a non-retryable error")]
    public partial void NonRetryable(Exception error, string identity);

    [LoggerMessage(9, LogLevel.Information, "Worker {Identity} replaying {Count} unacknowledged results on session {SessionId}")]
    public partial void Replaying(string identity, int count, long sessionId);

    [LoggerMessage(10, LogLevel.Warning, "Worker {Identity} session {SessionId}: malformed frame from the engine: {Problem}")]
    public partial void DecodeError(string identity, long sessionId, string problem);

    [LoggerMessage(11, LogLevel.Information, "Worker {Identity} session {SessionId}: skipped a frame of a kind this SDK does not know ({Size} bytes of unknown fields)")]
    public partial void UnknownFrameSkipped(string identity, long sessionId, int size);

    [LoggerMessage(12, LogLevel.Information, "Worker {Identity} session {SessionId}: the engine asked to drain")]
    public partial void DrainReceived(string identity, long sessionId);

    [LoggerMessage(13, LogLevel.Warning, "Worker {Identity} session {SessionId}: disposing the transport session failed")]
    public partial void SessionDisposeFailed(Exception error, string identity, long sessionId);

    [LoggerMessage(20, LogLevel.Warning, "Activity {ActivityType} {WorkflowId}/{ActivityId} attempt {Attempt} threw; reported as retryable")]
    public partial void ActivityThrew(Exception error, string activityType, string workflowId, ulong activityId, uint attempt);

    [LoggerMessage(21, LogLevel.Warning, "Activity {ActivityType} {WorkflowId}/{ActivityId} attempt {Attempt}: payload codec failed; reported as terminal")]
    public partial void ActivityCodecFailed(Exception error, string activityType, string workflowId, ulong activityId, uint attempt);

    [LoggerMessage(22, LogLevel.Warning, "Activity {ActivityType} {WorkflowId}/{ActivityId} attempt {Attempt}: result of {Size} bytes exceeds {Limit}; reported as a terminal 'too large' failure")]
    public partial void ResultTooLarge(string activityType, string workflowId, ulong activityId, uint attempt, int size, int limit);

    [LoggerMessage(23, LogLevel.Warning, "Outcome of {WorkflowId}/{ActivityId} attempt {Attempt} dropped: attempt {KeptAttempt} supersedes it")]
    public partial void OutcomeSuperseded(string workflowId, ulong activityId, uint attempt, uint keptAttempt);

    [LoggerMessage(24, LogLevel.Warning, "Task {WorkflowId}/{ActivityId} attempt {Attempt} is already in flight on this worker; the duplicate dispatch is ignored")]
    public partial void DuplicateDispatch(string workflowId, ulong activityId, uint attempt);

    [LoggerMessage(25, LogLevel.Warning, "Unreported outcome of {WorkflowId}/{ActivityId} attempt {Attempt}: the run ended before it could be sent")]
    public partial void OutcomeUnreported(string workflowId, ulong activityId, uint attempt);

    [LoggerMessage(26, LogLevel.Warning, "Abandoned running activity {ActivityType} {WorkflowId}/{ActivityId} attempt {Attempt}")]
    public partial void ActivityAbandoned(string activityType, string workflowId, ulong activityId, uint attempt);

    [LoggerMessage(27, LogLevel.Error, "A cancellation callback of {WorkflowId}/{ActivityId} attempt {Attempt} threw")]
    public partial void CancellationCallbackFailed(Exception error, string workflowId, ulong activityId, uint attempt);

    [LoggerMessage(28, LogLevel.Information, "Cancel requested for {WorkflowId}/{ActivityId} (attempt {Attempt}); {Count} running executions cancelled")]
    public partial void CancelRequested(string workflowId, ulong activityId, string attempt, int count);

    [LoggerMessage(29, LogLevel.Error, "A session event handler threw")]
    public partial void EventHandlerFailed(Exception error);

    [LoggerMessage(30, LogLevel.Warning, "Worker {Identity} abandoned its run: {Running} activities still running, {Unacked} results unacknowledged")]
    public partial void RunAbandoned(string identity, int running, int unacked);

    [LoggerMessage(32, LogLevel.Warning, "Disposing a resource of {WorkflowId}/{ActivityId} attempt {Attempt} failed")]
    public partial void DisposeFailed(Exception error, string workflowId, ulong activityId, uint attempt);

    [LoggerMessage(31, LogLevel.Information, "Unacknowledged result of {WorkflowId}/{ActivityId} attempt {Attempt} left at the end of the run (sent, engine ack not seen)")]
    public partial void ResultUnacked(string workflowId, ulong activityId, uint attempt);

    [LoggerMessage(40, LogLevel.Warning, "Task {WorkflowId}/{ActivityId} attempt {Attempt} (a frame of {FrameSize} bytes) is not run and is reported as terminal: {Reason}")]
    public partial void TaskRejected(string workflowId, ulong activityId, uint attempt, int frameSize, string reason);

    [LoggerMessage(41, LogLevel.Warning, "Worker {Identity} ended its run with {Count} results not acknowledged by the engine ({Unsent} never sent); the first {Listed}: {Ids}")]
    public partial void RunLeftResults(string identity, int count, int unsent, int listed, string ids);

    // Pipeline stages (issue 12): 60-69; the frame logging middleware writes 50.
    [LoggerMessage(60, LogLevel.Warning, "The inbound stage {Stage} threw on session {SessionId}; its tasks are failed RETRYABLE naming it (logged once per stage per session)")]
    public partial void InboundStageFailed(Exception error, string stage, long sessionId);

    [LoggerMessage(61, LogLevel.Warning, "The outbound stage {Stage} threw on a {PayloadKind} payload on session {SessionId}; the outcome is failed RETRYABLE naming it, or the progress dropped (logged once per stage per session)")]
    public partial void OutboundStageFailed(Exception error, string stage, Aion.Worker.Pipeline.OutboundPayloadKind payloadKind, long sessionId);

    [LoggerMessage(62, LogLevel.Debug, "The inbound stage {Stage} failed {WorkflowId}/{ActivityId} attempt {Attempt}: {Message}")]
    public partial void TaskFailedByStage(string stage, string workflowId, ulong activityId, uint attempt, string message);

    [LoggerMessage(63, LogLevel.Warning, "Disposing the stage {Stage} at the end of the run failed")]
    public partial void StageDisposeFailed(Exception error, string stage);
}
