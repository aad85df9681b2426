using System.Runtime.ExceptionServices;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Internal.Session;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Reconnect;

/// <summary>
/// The run loop: establishment with its own attempt loop, replay, serving, session-end
/// classification, the drop budget, backoff and shutdown.
/// </summary>
internal sealed class RunController
{
    private readonly WorkerRuntime _runtime;
    private readonly IWorkerSessionEvents _events;
    private readonly WorkerSettings _settings;

    public RunController(WorkerRuntime runtime, IWorkerSessionEvents events)
    {
        _runtime = runtime;
        _events = events;
        _settings = runtime.Settings;
    }

    /// <summary>Where sessions are announced (the public worker).</summary>
    internal interface IWorkerSessionEvents
    {
        void Started(WorkerRegistration registration);

        void Ended(SessionEnd end, int drops);

        void EstablishmentFailed(AionWorkerException error);
    }

    /// <summary>Random source for jitter; replaceable in tests.</summary>
    internal Func<double> NextRandom { get; set; } = Random.Shared.NextDouble;

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
        var running = _runtime.InFlight.RunningExecutions();
        foreach (var execution in running)
        {
            _runtime.Log.ActivityAbandoned(execution.Task.ActivityType, execution.Key.WorkflowId, execution.Key.Position, execution.Key.Attempt);
        }

        var unacked = LogLeftoverResults();
        _runtime.Log.RunAbandoned(_settings.Identity, running.Count, unacked);
    }

    /// <summary>Serves one already-open session, as the public single-session entry.</summary>
    public async Task<SessionEnd> RunSessionAsync(IWorkerSession session, CancellationToken shutdown)
    {
        WorkerRegistration registration;
        try
        {
            registration = await BoundedAsync(ct => RegisterAsync(session, ct), shutdown).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || shutdown.IsCancellationRequested)
        {
            await DisposeQuietlyAsync(session).ConfigureAwait(false);
            var end = ex is OperationCanceledException
                ? new SessionEnd(SessionEndKind.Shutdown, null, null, false, TimeSpan.Zero)
                : new SessionEnd(SessionEndKind.Error, WorkerRuntime.ToWorkerException(ex), null, false, TimeSpan.Zero);
            await SettleIfShuttingDownAsync(shutdown).ConfigureAwait(false);
            return end;
        }

        var served = StartSession(session, registration);
        var result = await served.ServeAsync(shutdown).ConfigureAwait(false);
        _events.Ended(result, 0);
        await SettleIfShuttingDownAsync(shutdown).ConfigureAwait(false);
        return result;
    }

    private async Task SettleIfShuttingDownAsync(CancellationToken shutdown)
    {
        if (shutdown.IsCancellationRequested)
        {
            await SettleAsync().ConfigureAwait(false);
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
        await SettleAsync().ConfigureAwait(false);
        failure?.Throw();
    }

    private async Task SettleAsync()
    {
        _runtime.InFlight.CancelAll(ActivityCancellationReason.Shutdown);
        await _runtime.InFlight.WhenIdleAsync(CancellationToken.None).ConfigureAwait(false);
        LogLeftoverResults();
    }

    /// <summary>Logs every tracked result with its ids: never sent (unreported) or sent and not acked; returns how many.</summary>
    private int LogLeftoverResults()
    {
        var entries = _runtime.Tracker.Snapshot();
        foreach (var entry in entries)
        {
            if (entry.SentOnSession == 0)
            {
                _runtime.Log.OutcomeUnreported(entry.Key.WorkflowId, entry.Key.Position, entry.Attempt);
            }
            else
            {
                _runtime.Log.ResultUnacked(entry.Key.WorkflowId, entry.Key.Position, entry.Attempt);
            }
        }

        return entries.Length;
    }

    private async Task LoopAsync(IWorkerTransport transport, CancellationToken shutdown)
    {
        var drops = 0;
        var first = true;
        AionWorkerException? lastDropError = null;
        while (true)
        {
            IWorkerSession session;
            WorkerRegistration registration;
            try
            {
                (session, registration) = await EstablishAsync(transport, first, shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                ThrowIfNotNull(lastDropError);
                return;
            }

            first = false;
            var served = StartSession(session, registration);
            var end = await served.ServeAsync(shutdown).ConfigureAwait(false);
            var identity = _settings.Identity;

            switch (end.Kind)
            {
                case SessionEndKind.Shutdown:
                    _events.Ended(end, drops);
                    _runtime.Log.SessionShutdown(identity, served.Id);
                    if (served.InterruptedReplay)
                    {
                        ThrowIfNotNull(lastDropError);
                    }

                    return;

                case SessionEndKind.Drain:
                    // A drain spends no budget, but a healthy session resets the counter like any other drop.
                    if (end.Healthy)
                    {
                        drops = 0;
                    }

                    _events.Ended(end, drops);
                    _runtime.Log.SessionDrained(identity, served.Id, _settings.InitialBackoff.TotalMilliseconds);
                    if (shutdown.IsCancellationRequested)
                    {
                        return;
                    }

                    lastDropError = null;
                    if (!await SleepAsync(_settings.InitialBackoff, "drain", shutdown).ConfigureAwait(false))
                    {
                        return;
                    }

                    break;

                case SessionEndKind.CleanClose:
                    if (shutdown.IsCancellationRequested)
                    {
                        _events.Ended(end, drops);
                        return;
                    }

                    drops = CountDrop(drops, end);
                    _events.Ended(end, drops);
                    _runtime.Log.SessionDropped(identity, served.Id, end.Kind, "the engine closed the stream cleanly", drops, _settings.MaxAttempts, end.Healthy);
                    if (drops >= _settings.MaxAttempts)
                    {
                        var exhausted = new AionWorkerException(
                            AionErrorKind.ServerClosedRepeatedly,
                            $"The server repeatedly closed the stream cleanly: {drops} budgeted drops in a row reached Reconnect.MaxAttempts ({_settings.MaxAttempts}).");
                        _runtime.Log.BudgetExhausted(exhausted, identity, drops);
                        throw exhausted;
                    }

                    lastDropError = null;
                    if (!await SleepAsync(Backoff(drops), "drop", shutdown).ConfigureAwait(false))
                    {
                        return;
                    }

                    break;

                default:
                    var error = end.Error!;
                    if (!_runtime.IsRetryableMidStream(error))
                    {
                        _events.Ended(end, drops);
                        _runtime.Log.NonRetryable(error, identity);
                        throw error;
                    }

                    if (shutdown.IsCancellationRequested)
                    {
                        _events.Ended(end, drops);
                        throw error;
                    }

                    drops = CountDrop(drops, end);
                    _events.Ended(end, drops);
                    _runtime.Log.SessionDropped(identity, served.Id, end.Kind, error.Message, drops, _settings.MaxAttempts, end.Healthy);
                    if (drops >= _settings.MaxAttempts)
                    {
                        _runtime.Log.BudgetExhausted(error, identity, drops);
                        throw error;
                    }

                    lastDropError = error;
                    if (!await SleepAsync(Backoff(drops), "drop", shutdown).ConfigureAwait(false))
                    {
                        throw error;
                    }

                    break;
            }
        }
    }

    private static int CountDrop(int drops, SessionEnd end) => (end.Healthy ? 0 : drops) + 1;

    private static void ThrowIfNotNull(AionWorkerException? error)
    {
        if (error is not null)
        {
            throw error;
        }
    }

    private ServedSession StartSession(IWorkerSession session, WorkerRegistration registration)
    {
        var served = new ServedSession(_runtime, session, registration, _runtime.NextSessionId());
        _runtime.Log.SessionStarted(_settings.Identity, registration.WorkerId, registration.Namespace, registration.HeartbeatWindow.TotalMilliseconds, served.Id);
        _events.Started(registration);
        return served;
    }

    private async Task<(IWorkerSession Session, WorkerRegistration Registration)> EstablishAsync(IWorkerTransport transport, bool first, CancellationToken shutdown)
    {
        var attempt = 0;
        while (true)
        {
            attempt++;
            shutdown.ThrowIfCancellationRequested();
            try
            {
                return await BoundedAsync(ct => ConnectAndRegisterAsync(transport, ct), shutdown).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                var error = WorkerRuntime.ToWorkerException(ex);
                _events.EstablishmentFailed(error);
                if (!error.IsRetryable)
                {
                    _runtime.Log.NonRetryable(error, _settings.Identity);
                    throw error;
                }

                var unlimited = first && _settings.RetryFirstConnectForever;
                _runtime.Log.EstablishmentFailureDetail(error, _settings.Identity, attempt);
                if (!unlimited && attempt >= _settings.MaxAttempts)
                {
                    _runtime.Log.EstablishmentGaveUp(_settings.Identity, attempt, error.Kind, error.Message);
                    throw error;
                }

                var delay = Backoff(attempt);
                _runtime.Log.EstablishmentFailed(_settings.Identity, attempt, error.Kind, true, delay.TotalMilliseconds, error.Message);
                RecordBackoff(delay, "establish");
                await Task.Delay(delay, _runtime.Time, shutdown).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Runs one establishment step bounded by the register timeout, even if the transport ignores its token.</summary>
    private async Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> step, CancellationToken shutdown)
    {
        using var deadline = new CancellationTokenSource(_settings.RegisterTimeout, _runtime.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, shutdown);
        var attempt = step(linked.Token);
        try
        {
            return await attempt.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            CleanUpAbandoned(attempt);
            if (shutdown.IsCancellationRequested)
            {
                throw new OperationCanceledException(shutdown);
            }

            throw new AionWorkerException(
                AionErrorKind.RegisterTimeout,
                $"The session was not established within the register timeout of {_settings.RegisterTimeout.TotalMilliseconds} ms (connect, registration and RegisterAck).");
        }
    }

    private static void CleanUpAbandoned<T>(Task<T> attempt)
    {
        _ = attempt.ContinueWith(
            static t =>
            {
                if (t.IsCompletedSuccessfully && t.Result is ValueTuple<IWorkerSession, WorkerRegistration> established)
                {
                    _ = established.Item1.DisposeAsync().AsTask();
                }

                _ = t.Exception;
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    private async Task<(IWorkerSession Session, WorkerRegistration Registration)> ConnectAndRegisterAsync(IWorkerTransport transport, CancellationToken cancellationToken)
    {
        var token = await ResolveTokenAsync(cancellationToken).ConfigureAwait(false);
        var metadata = new WorkerSessionMetadata(_settings.Namespaces, _settings.Subject, token);
        var session = await transport.ConnectAsync(metadata, cancellationToken).ConfigureAwait(false);
        try
        {
            var registration = await RegisterAsync(session, cancellationToken).ConfigureAwait(false);
            return (session, registration);
        }
        catch
        {
            await DisposeQuietlyAsync(session).ConfigureAwait(false);
            throw;
        }
    }

    private async Task<string?> ResolveTokenAsync(CancellationToken cancellationToken)
    {
        if (_settings.BearerTokenProvider is not { } provider)
        {
            return _settings.BearerToken;
        }

        string? token;
        try
        {
            token = await provider(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // Its message may carry a secret (a token endpoint's answer): the error names the type
            // only; the message reaches the logs only at Debug, with the inner exception.
            throw new AionWorkerException(AionErrorKind.TokenProvider, $"The bearer token provider threw {ex.GetType().FullName}.", innerException: ex);
        }

        if (token is null || !WorkerSettings.IsVisibleAscii(token))
        {
            throw new AionWorkerException(AionErrorKind.InvalidToken, "The bearer token provider returned an empty token or one with characters outside 0x21-0x7E.");
        }

        return token;
    }

    /// <summary>Writes the registration first (never waiting for headers), then expects RegisterAck as the first frame.</summary>
    private async Task<WorkerRegistration> RegisterAsync(IWorkerSession session, CancellationToken cancellationToken)
    {
        await session.SendAsync(_runtime.RegisterFrame, cancellationToken).ConfigureAwait(false);
        var received = await session.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (received.IsEndOfStream)
        {
            throw new AionWorkerException(AionErrorKind.Protocol, "The engine ended the stream before sending RegisterAck.");
        }

        var first = FrameValidator.Decode(received, out _);
        if (first?.MessageCase != Protocol.ServerToWorker.MessageOneofCase.RegisterAck)
        {
            throw new AionWorkerException(AionErrorKind.Protocol, $"The engine's first frame was {FrameValidator.DescribeNonAck(first, received)}, not RegisterAck.");
        }

        var ack = first.RegisterAck;
        var window = TimeSpan.FromMilliseconds(Math.Min(ack.HeartbeatWindowMs, (ulong)TimeSpan.MaxValue.TotalMilliseconds / 2));
        return new WorkerRegistration(ack.WorkerId, ack.Namespace, window);
    }

    /// <summary>backoff(n) = min(InitialBackoff × 2^(n−1), MaxBackoff), saturating, then optional jitter.</summary>
    internal TimeSpan Backoff(int n)
    {
        var delay = _settings.InitialBackoff;
        for (var i = 1; i < n && delay < _settings.MaxBackoff; i++)
        {
            delay = delay.Ticks > _settings.MaxBackoff.Ticks / 2 ? _settings.MaxBackoff : delay + delay;
        }

        if (delay > _settings.MaxBackoff)
        {
            delay = _settings.MaxBackoff;
        }

        if (_settings.Jitter > 0)
        {
            delay = TimeSpan.FromTicks(Math.Max(1, (long)(delay.Ticks * (1 - (_settings.Jitter * NextRandom())))));
        }

        return delay;
    }

    /// <summary>Sleeps unless shutdown comes first; false on shutdown.</summary>
    private async Task<bool> SleepAsync(TimeSpan delay, string phase, CancellationToken shutdown)
    {
        RecordBackoff(delay, phase);
        try
        {
            await Task.Delay(delay, _runtime.Time, shutdown).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            return false;
        }
    }

    private void RecordBackoff(TimeSpan delay, string phase) =>
        _runtime.Telemetry.ReconnectBackoff.Record(delay.TotalSeconds, _runtime.IdentityTag, new KeyValuePair<string, object?>(AionWorkerDiagnostics.Tags.Phase, phase));

    private static async Task DisposeQuietlyAsync(IWorkerSession session)
    {
        try
        {
            await session.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception)
        {
            // The session failed already; its error is what matters.
        }
    }
}
