using Aion.Worker.Internal.Pipeline;
using Grpc.Core;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// How a session ended, in the terms of the run loop (spec/BEHAVIOUR.md, "Session end
/// classification" and "Drop budget"): what ended it, the drain latch, and whether it proved healthy.
/// </summary>
internal static class SessionEndClassifier
{
    /// <summary>What a failure of a send, a receive or the transport ends the session as: a failure with status OK is a clean close.</summary>
    public static (SessionEndKind Kind, AionWorkerException? Error) FromFailure(Exception exception) =>
        exception is RpcException { StatusCode: StatusCode.OK }
            ? (SessionEndKind.CleanClose, null)
            : (SessionEndKind.Error, WorkerRuntime.ToWorkerException(exception));

    /// <summary>Whether an error that ended a registered session may be retried: an expired token is, when a provider can refresh it.</summary>
    public static bool IsRetryableMidStream(AionWorkerException error, bool hasTokenProvider) =>
        error.IsRetryable || (error.StatusCode == StatusCode.Unauthenticated && hasTokenProvider);

    /// <summary>The session's end as the run loop sees it.</summary>
    /// <param name="kind">What ended the session.</param>
    /// <param name="error">The error, for <see cref="SessionEndKind.Error"/>.</param>
    /// <param name="drainSeen">Whether a drain frame arrived on the session: it latches a clean close or a retryable error into a drain.</param>
    /// <param name="liveResultSent">Whether a live result (not a replay) was sent on the session.</param>
    /// <param name="connectedFor">From the RegisterAck to the moment the stream ended.</param>
    /// <param name="registration">The session's registration.</param>
    /// <param name="maxBackoff">The session-health threshold.</param>
    /// <param name="hasTokenProvider">Whether a token provider can refresh an expired token.</param>
    public static SessionEnd Classify(SessionEndKind kind, AionWorkerException? error, bool drainSeen, bool liveResultSent, TimeSpan connectedFor, WorkerRegistration registration, TimeSpan maxBackoff, bool hasTokenProvider)
    {
        if (drainSeen && (kind == SessionEndKind.CleanClose || (kind == SessionEndKind.Error && error is not null && IsRetryableMidStream(error, hasTokenProvider))))
        {
            kind = SessionEndKind.Drain;
        }

        // A session that ended because the unacked tracker stalled is never healthy, however long it
        // lasted: a worker that cannot reach its acks would otherwise reconnect forever without failing.
        var stalled = error?.Kind == AionErrorKind.UnackedResultsStalled;
        var healthy = !stalled && (liveResultSent || connectedFor > maxBackoff);
        return new SessionEnd(kind, error, registration, healthy, connectedFor);
    }
}
