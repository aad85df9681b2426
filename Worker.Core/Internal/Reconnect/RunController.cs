using System.Runtime.ExceptionServices;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Internal.Session;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Reconnect;

/// <summary>
/// The run loop (spec/BEHAVIOUR.md, "Run loop"): establish, serve, ask the drop budget what the
/// session's end means, back off, again; however the run ends, settle it.
/// </summary>
internal sealed class RunController
{
    private readonly WorkerRuntime _runtime;
    private readonly IWorkerSessionEvents _events;
    private readonly WorkerSettings _settings;
    private readonly SessionEstablisher _establisher;
    private readonly RunSettlement _settlement;

    public RunController(WorkerRuntime runtime, IWorkerSessionEvents events)
    {
        _runtime = runtime;
        _events = events;
        _settings = runtime.Settings;
        Backoff = new Backoff(_settings.InitialBackoff, _settings.MaxBackoff, _settings.Jitter);
        _establisher = new SessionEstablisher(runtime, Backoff, events.EstablishmentFailed);
        _settlement = new RunSettlement(runtime);
    }

    /// <summary>Where sessions are announced (the public worker).</summary>
    internal interface IWorkerSessionEvents
    {
        void Started(WorkerRegistration registration);

        void Ended(SessionEnd end, int drops, RunSummary? runSummary);

        void EstablishmentFailed(AionWorkerException error);
    }

    /// <summary>What the last run (or single session) left unacknowledged, once it ended; <see langword="null"/> before.</summary>
    public RunSummary? LastRunSummary { get; private set; }

    /// <summary>The backoff of establishment tries and budgeted drops.</summary>
    internal Backoff Backoff { get; }

    public async Task RunAsync(IWorkerTransport transport, CancellationToken shutdown, CancellationToken abandon)
    {
        var run = RunAndSettleAsync(transport, shutdown);
        if (!abandon.CanBeCanceled || run.IsCompleted)
        {
            await run.ConfigureAwait(false);
            return;
        }

        var abandoned = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (abandon.UnsafeRegister(static state => ((TaskCompletionSource)state!).TrySetResult(), abandoned))
        {
            if (await Task.WhenAny(run, abandoned.Task).ConfigureAwait(false) == run)
            {
                await run.ConfigureAwait(false);
                return;
            }
        }

        // Nothing is killed: the run goes on settling in the background; say what is left.
        _ = run.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        LastRunSummary = _settlement.LogAbandoned();
    }

    /// <summary>Serves one already-open session, as the public single-session entry.</summary>
    public async Task<SessionEnd> RunSessionAsync(IWorkerSession session, CancellationToken shutdown)
    {
        session = WorkerRuntime.OpenSession(session);
        WorkerRegistration registration;
        try
        {
            session = _runtime.Stages.Wrap(session, _runtime);
            registration = await _establisher.RegisterOpenSessionAsync(session, shutdown).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || shutdown.IsCancellationRequested)
        {
            await SessionEstablisher.DisposeQuietlyAsync(session).ConfigureAwait(false);
            var end = ex is OperationCanceledException
                ? new SessionEnd(SessionEndKind.Shutdown, null, null, false, TimeSpan.Zero)
                : new SessionEnd(SessionEndKind.Error, WorkerRuntime.ToWorkerException(ex), null, false, TimeSpan.Zero);
            await SettleIfShuttingDownAsync(shutdown).ConfigureAwait(false);
            LastRunSummary ??= _settlement.Summary();
            return end;
        }

        // A run of one session: activities still running from an earlier call report into the tracker and are replayed here.
        var pipeline = new WorkerPipeline(_runtime, shutdown);
        pipeline.Start();
        SessionEnd result;
        try
        {
            (result, _) = await ServeAsync(pipeline, new EstablishedSession(session, registration)).ConfigureAwait(false);
        }
        finally
        {
            await pipeline.DisposeAsync().ConfigureAwait(false);
        }

        _events.Ended(result, 0, _settlement.Summary());
        await SettleIfShuttingDownAsync(shutdown).ConfigureAwait(false);
        LastRunSummary ??= _settlement.Summary();
        return result;
    }

    private async Task SettleIfShuttingDownAsync(CancellationToken shutdown)
    {
        LastRunSummary = null;
        if (shutdown.IsCancellationRequested)
        {
            LastRunSummary = await _settlement.SettleAsync().ConfigureAwait(false);
        }
    }

    private async Task RunAndSettleAsync(IWorkerTransport transport, CancellationToken shutdown)
    {
        ExceptionDispatchInfo? failure = null;
        try
        {
            await LoopAsync(transport, shutdown).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ExceptionDispatchInfo.Capture(ex);
        }

        // However the run ends, running activities are cancelled as on shutdown and awaited.
        LastRunSummary = await _settlement.SettleAsync().ConfigureAwait(false);
        failure?.Throw();
    }

    private async Task LoopAsync(IWorkerTransport transport, CancellationToken shutdown)
    {
        var pipeline = new WorkerPipeline(_runtime, shutdown);
        pipeline.Start();
        try
        {
            await LoopAsync(transport, pipeline, shutdown).ConfigureAwait(false);
        }
        finally
        {
            await pipeline.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task LoopAsync(IWorkerTransport transport, WorkerPipeline pipeline, CancellationToken shutdown)
    {
        var budget = new DropBudget(_settings.MaxAttempts, _settings.InitialBackoff, Backoff, _settings.BearerTokenProvider is not null);
        var first = true;
        while (true)
        {
            EstablishedSession established;
            try
            {
                established = await _establisher.EstablishAsync(transport, first, shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                ThrowIfNotNull(budget.LastDropError);
                return;
            }

            first = false;
            var (end, served) = await ServeAsync(pipeline, established).ConfigureAwait(false);
            var decision = budget.OnSessionEnd(end, shutdown.IsCancellationRequested, served.InterruptedReplay);
            _events.Ended(end, decision.Drops, decision.Redials ? null : _settlement.Summary());
            LogSessionEnd(end, decision, served.Id);
            if (!decision.Redials)
            {
                ThrowIfNotNull(decision.Error);
                return;
            }

            SessionEstablisher.RecordBackoff(_runtime, decision.Delay, decision.Phase);
            try
            {
                await Task.Delay(decision.Delay, _runtime.Time, shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                ThrowIfNotNull(decision.Error);
                return;
            }
        }
    }

    /// <summary>Announces a registered session, attaches its adapter under the run's pipeline, and detaches it once it ended.</summary>
    private async Task<(SessionEnd End, SessionAdapter Session)> ServeAsync(WorkerPipeline pipeline, EstablishedSession established)
    {
        var registration = established.Registration;
        var session = new SessionAdapter(_runtime, pipeline, established.Session, registration, _runtime.NextSessionId());
        _runtime.Log.SessionStarted(_settings.Identity, registration.WorkerId, registration.Namespace, registration.HeartbeatWindow.TotalMilliseconds, session.Id);
        _events.Started(registration);
        pipeline.Attach(session);
        var end = await session.Completion.ConfigureAwait(false);
        pipeline.Detach(session);
        session.Dispose();
        return (end, session);
    }

    private void LogSessionEnd(SessionEnd end, DropDecision decision, long sessionId)
    {
        var identity = _settings.Identity;
        switch (decision.Verdict)
        {
            case DropVerdict.Shutdown:
                _runtime.Log.SessionShutdown(identity, sessionId);
                break;
            case DropVerdict.Drain:
            case DropVerdict.EndedAtShutdown when end.Kind == SessionEndKind.Drain:
                _runtime.Log.SessionDrained(identity, sessionId, _settings.InitialBackoff.TotalMilliseconds);
                break;
            case DropVerdict.Drop:
            case DropVerdict.Exhausted:
                var reason = end.Error?.Message ?? "the engine closed the stream cleanly";
                _runtime.Log.SessionDropped(identity, sessionId, end.Kind, reason, decision.Drops, _settings.MaxAttempts, end.Healthy);
                if (decision.Verdict == DropVerdict.Exhausted)
                {
                    _runtime.Log.BudgetExhausted(decision.Error!, identity, decision.Drops);
                }

                break;
            case DropVerdict.NonRetryable:
                _runtime.Log.NonRetryable(decision.Error!, identity);
                break;
        }
    }

    private static void ThrowIfNotNull(AionWorkerException? error)
    {
        if (error is not null)
        {
            throw error;
        }
    }
}
