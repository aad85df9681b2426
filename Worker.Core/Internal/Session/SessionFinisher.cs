using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// Finishes a session after a drain or on shutdown (spec/BEHAVIOUR.md, "Drain frame", "Shutdown"):
/// on shutdown, cancel the running activities and wait for them; send everything queued; give the
/// engine up to ShutdownAckTimeout (shutdown) or the send timeout (drain) to ack what this session
/// sent; then close the
/// worker's side of the stream (through the write pump, after everything before it) and end the
/// session. The liveness pump keeps beating throughout.
/// </summary>
internal sealed class SessionFinisher(SessionAdapter session, WorkerRuntime runtime, WorkerPipeline pipeline)
{
    private readonly TaskCompletionSource<SessionEndKind> _requested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AsyncSignal _acked = new();

    public bool IsRequested => _requested.Task.IsCompleted;

    /// <summary>Asks for the session to finish (<see cref="SessionEndKind.Drain"/> or <see cref="SessionEndKind.Shutdown"/>); the first request wins.</summary>
    public void Request(SessionEndKind kind) => _requested.TrySetResult(kind);

    /// <summary>An ack arrived on the session.</summary>
    public void AckArrived() => _acked.Set();

    /// <summary>Waits for a request, then finishes the session; returns when the session ends without one. Never throws.</summary>
    public async Task RunAsync()
    {
        var sessionEnd = session.EndToken;
        try
        {
            var kind = await _requested.Task.WaitAsync(sessionEnd).ConfigureAwait(false);
            await FinishAsync(kind, sessionEnd).ConfigureAwait(false);
        }
        catch (Exception) when (sessionEnd.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            session.EndWith(ex);
        }
    }

    private async Task FinishAsync(SessionEndKind kind, CancellationToken sessionEnd)
    {
        if (kind == SessionEndKind.Shutdown)
        {
            runtime.InFlight.CancelAll(ActivityCancellationReason.Shutdown);
            await runtime.InFlight.WhenIdleAsync(sessionEnd).ConfigureAwait(false);
        }

        // Everything queued before this marker (every result of a finished activity) is sent and flushed first.
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await pipeline.WriteControlAsync(OutboundItem.Flush(flushed, session.Id), session).ConfigureAwait(false);
        await flushed.Task.WaitAsync(sessionEnd).ConfigureAwait(false);

        // Give the engine time to ack what this session sent: after a drain up to the send timeout
        // (what stays unacked is replayed on the next session); on shutdown up to ShutdownAckTimeout
        // (what stays unacked is logged and listed in the run summary: there is no next session).
        var settings = runtime.Settings;
        await AwaitAcksAsync(kind == SessionEndKind.Shutdown ? settings.ShutdownAckTimeout : settings.SendTimeout, sessionEnd).ConfigureAwait(false);

        // The write pump closes the stream and ends the session.
        await pipeline.WriteControlAsync(OutboundItem.Close(kind, session.Id), session).ConfigureAwait(false);
    }

    /// <summary>Waits until every result sent on this session was acked, or <paramref name="timeout"/> passed; unacked results stay tracked and are replayed on the next session.</summary>
    private async Task AwaitAcksAsync(TimeSpan timeout, CancellationToken sessionEnd)
    {
        using var deadline = new CancellationTokenSource(timeout, runtime.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, sessionEnd);
        try
        {
            while (runtime.Tracker.AwaitingAckOnCurrentSession > 0)
            {
                await _acked.WaitAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !sessionEnd.IsCancellationRequested)
        {
        }
    }
}
