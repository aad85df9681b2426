using Aion.Worker.Internal.Activities;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Internal.Session;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Stages;

/// <summary>
/// The dispatcher's side of the admission filters and inbound stages, for a run that has any: the
/// filters pick the first queued task that may start now, then the inbound stages admit, hold or
/// fail it, one task at a time, on the dispatcher's task. A held task stays counted as queued and is
/// heartbeated; the session's end or shutdown discards it; a failed task is reported and tracked.
/// </summary>
internal sealed class StageAdmission : IDisposable
{
    private readonly WorkerRuntime _runtime;
    private readonly WorkerPipeline _pipeline;
    private readonly RunStages _stages;
    private readonly Func<ActivityExecution, InboundQueue.Admission> _choose;
    private readonly Action<ActivityExecution> _discard;
    private CancellationTokenSource? _sessionToken;
    private long _servingId;
    private string? _filterFailure;

    public StageAdmission(WorkerRuntime runtime, WorkerPipeline pipeline, RunStages stages)
    {
        _runtime = runtime;
        _pipeline = pipeline;
        _stages = stages;
        _choose = Choose;
        _discard = runtime.InFlight.Discard;
    }

    /// <summary>The dispatcher serves <paramref name="session"/> from now on.</summary>
    public void Serve(SessionAdapter session)
    {
        _servingId = session.Id;
        _sessionToken?.Dispose();
        _sessionToken = CancellationTokenSource.CreateLinkedTokenSource(session.EndToken, _pipeline.Shutdown);
    }

    /// <summary>Takes the first queued task of the served session that every filter lets start now.</summary>
    public bool TryTake(out ActivityExecution execution) =>
        _pipeline.Inbound.TryTakeAdmissible(_choose, _discard, out execution);

    /// <summary>Runs the inbound stages on <paramref name="execution"/> and starts, fails or discards it.</summary>
    public async Task DecideAsync(ActivityExecution execution, SessionAdapter session)
    {
        if (execution is not StagedExecution)
        {
            // A task the worker itself rejected (its report is decided): no stage sees it.
            _runtime.Start(execution);
            _pipeline.Inbound.Settle();
            return;
        }

        var token = _sessionToken!.Token;
        var task = new InboundTaskContext(execution);
        var decision = InboundDecision.Admit;
        var failure = _filterFailure;
        _filterFailure = null;
        if (failure is null)
        {
            foreach (var slot in _stages.Inbound)
            {
                try
                {
                    var pending = slot.Stage.OnTaskAsync(task, token);
                    decision = pending.IsCompletedSuccessfully ? pending.Result : await HoldAsync(pending, token).ConfigureAwait(false);
                }
                catch (Exception) when (token.IsCancellationRequested)
                {
                    // The session ended or the worker shuts down: a held task is discarded like a queued one.
                    Discard(execution);
                    return;
                }
                catch (Exception ex)
                {
                    if (slot.ShouldLog(session.Id))
                    {
                        _runtime.Log.InboundStageFailed(ex, slot.Name, session.Id);
                    }

                    failure = $"The inbound stage '{slot.Name}' failed: {ex.Message}";
                    break;
                }

                if (!decision.IsAdmitted)
                {
                    _runtime.Log.TaskFailedByStage(slot.Name, execution.Key.WorkflowId, execution.Key.Position, execution.Key.Attempt, decision.Message!);
                    break;
                }
            }
        }

        if (failure is not null)
        {
            decision = InboundDecision.FailRetryable(failure);
        }

        if (!decision.IsAdmitted)
        {
            await FailAsync(execution, decision).ConfigureAwait(false);
            return;
        }

        if (token.IsCancellationRequested || session.IsEnded)
        {
            Discard(execution);
            return;
        }

        _runtime.Start(execution);
        _pipeline.Inbound.Settle();
    }

    public void Dispose() => _sessionToken?.Dispose();

    private static async ValueTask<InboundDecision> HoldAsync(ValueTask<InboundDecision> pending, CancellationToken token)
    {
        var held = pending.AsTask();
        try
        {
            return await held.WaitAsync(token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested && !held.IsCompleted)
        {
            // A stage that ignores its token may still fail later: observe it.
            _ = held.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    private InboundQueue.Admission Choose(ActivityExecution execution)
    {
        if (execution.SessionId != _servingId)
        {
            // Queued by a session that ended: the engine re-dispatches it.
            return InboundQueue.Admission.Discard;
        }

        if (_stages.Filters.Length == 0 || execution is not StagedExecution staged)
        {
            return InboundQueue.Admission.Start;
        }

        var task = new InboundTaskContext(execution);
        try
        {
            if (!_stages.TryReserve(task))
            {
                return InboundQueue.Admission.PassOver;
            }
        }
        catch (Exception ex)
        {
            // A filter that throws fails the task (the next stages never see it).
            _runtime.Log.InboundStageFailed(ex, "admission filter", _servingId);
            _filterFailure = $"An admission filter failed: {ex.Message}";
            return InboundQueue.Admission.Start;
        }

        staged.Reserved();
        return InboundQueue.Admission.Start;
    }

    private void Discard(ActivityExecution execution)
    {
        (execution as StagedExecution)?.ReleaseReservation();
        _runtime.InFlight.Discard(execution);
        _pipeline.Inbound.Settle();
    }

    private async Task FailAsync(ActivityExecution execution, InboundDecision decision)
    {
        (execution as StagedExecution)?.ReleaseReservation();
        var kind = decision.IsRetryable ? ActivityErrorKind.Retryable : ActivityErrorKind.Terminal;
        var frame = ActivityOutcomeBuilder.Failure(execution.Task, kind, decision.Message!, null);
        _pipeline.Inbound.Settle();

        // Reported and tracked like any outcome; the task never ran, so no slot is freed.
        await _runtime.Reporter.RecordOutcomeAsync(execution, frame).ConfigureAwait(false);
        _runtime.InFlight.Discard(execution);
    }
}
