using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Internal.Session;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Reconnect;

/// <summary>
/// Opens a registered session (spec/BEHAVIOUR.md, "Establishment"): the bearer token, connect, the
/// registration written first, the RegisterAck as the first frame, the whole try bounded by
/// RegisterTimeout; up to MaxAttempts tries with backoff between them, a non-retryable error at once.
/// </summary>
internal sealed class SessionEstablisher(WorkerRuntime runtime, Backoff backoff, Action<AionWorkerException> tryFailed)
{
    private readonly WorkerSettings _settings = runtime.Settings;

    /// <summary>Connects and registers, retrying as the rules say.</summary>
    /// <param name="transport">The session factory.</param>
    /// <param name="first">Whether this is the run's first establishment (which may retry forever).</param>
    /// <param name="shutdown">Abandons the attempt (or the backoff) at once with an <see cref="OperationCanceledException"/>.</param>
    /// <exception cref="AionWorkerException">Every try failed, or one failed with a non-retryable error.</exception>
    public async Task<EstablishedSession> EstablishAsync(IWorkerTransport transport, bool first, CancellationToken shutdown)
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
                tryFailed(error);
                if (!error.IsRetryable)
                {
                    runtime.Log.NonRetryable(error, _settings.Identity);
                    throw error;
                }

                var unlimited = first && _settings.RetryFirstConnectForever;
                runtime.Log.EstablishmentFailureDetail(error, _settings.Identity, attempt);
                if (!unlimited && attempt >= _settings.MaxAttempts)
                {
                    runtime.Log.EstablishmentGaveUp(_settings.Identity, attempt, error.Kind, error.Message);
                    throw error;
                }

                var delay = backoff.Delay(attempt);
                runtime.Log.EstablishmentFailed(_settings.Identity, attempt, error.Kind, true, delay.TotalMilliseconds, error.Message);
                RecordBackoff(runtime, delay, "establish");
                await Task.Delay(delay, runtime.Time, shutdown).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Registers on an already-open session, bounded by RegisterTimeout (one try).</summary>
    public Task<WorkerRegistration> RegisterOpenSessionAsync(IWorkerSession session, CancellationToken shutdown) =>
        BoundedAsync(ct => RegisterAsync(session, ct), shutdown);

    /// <summary>Records a backoff in the reconnect-backoff histogram.</summary>
    public static void RecordBackoff(WorkerRuntime runtime, TimeSpan delay, string phase) =>
        runtime.Telemetry.ReconnectBackoff.Record(delay.TotalSeconds, runtime.IdentityTag, new KeyValuePair<string, object?>(AionWorkerDiagnostics.Tags.Phase, phase));

    /// <summary>Disposes a session whose failure is already being reported.</summary>
    public static async Task DisposeQuietlyAsync(IWorkerSession session)
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

    /// <summary>Runs one establishment step bounded by the register timeout, even if the transport ignores its token.</summary>
    private async Task<T> BoundedAsync<T>(Func<CancellationToken, Task<T>> step, CancellationToken shutdown)
    {
        using var deadline = new CancellationTokenSource(_settings.RegisterTimeout, runtime.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, shutdown);
        var attempt = step(linked.Token);
        try
        {
            return await attempt.WaitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (linked.IsCancellationRequested)
        {
            CleanUpAbandoned(attempt);
            shutdown.ThrowIfCancellationRequested();

            throw new AionWorkerException(
                AionErrorKind.RegisterTimeout,
                $"The session was not established within the register timeout of {_settings.RegisterTimeout.TotalMilliseconds} ms (connect, registration and RegisterAck).");
        }
    }

    /// <summary>An abandoned try may still complete: a session it opened is then disposed, its failure observed.</summary>
    private static void CleanUpAbandoned<T>(Task<T> attempt) =>
        _ = attempt.ContinueWith(
            static t =>
            {
                if (t.IsCompletedSuccessfully && t.Result is EstablishedSession established)
                {
                    _ = established.Session.DisposeAsync().AsTask();
                }

                _ = t.Exception;
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);

    private async Task<EstablishedSession> ConnectAndRegisterAsync(IWorkerTransport transport, CancellationToken cancellationToken)
    {
        var token = await ResolveTokenAsync(cancellationToken).ConfigureAwait(false);
        var metadata = new WorkerSessionMetadata(_settings.Namespaces, _settings.Subject, token);
        var session = WorkerRuntime.OpenSession(await transport.ConnectAsync(metadata, cancellationToken).ConfigureAwait(false));
        try
        {
            session = runtime.Stages.Wrap(session, runtime);
            return new EstablishedSession(session, await RegisterAsync(session, cancellationToken).ConfigureAwait(false));
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
        await session.SendAsync(runtime.RegisterFrame, cancellationToken).ConfigureAwait(false);
        await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        var received = await session.ReceiveAsync(cancellationToken).ConfigureAwait(false);
        if (received.IsEndOfStream)
        {
            throw new AionWorkerException(AionErrorKind.Protocol, "The engine ended the stream before sending RegisterAck.");
        }

        if (FrameValidator.Decode(received, out var undecodable) is not { } first)
        {
            throw new AionWorkerException(AionErrorKind.Protocol, $"The worker could not decode the engine's first frame (expected RegisterAck): {undecodable}.");
        }

        if (first.MessageCase != ServerToWorker.MessageOneofCase.RegisterAck)
        {
            throw new AionWorkerException(AionErrorKind.Protocol, $"The engine's first frame was {FrameValidator.DescribeNonAck(first)}, not RegisterAck.");
        }

        var ack = first.RegisterAck;
        var window = TimeSpan.FromMilliseconds(Math.Min(ack.HeartbeatWindowMs, (ulong)TimeSpan.MaxValue.TotalMilliseconds / 2));
        return new WorkerRegistration(ack.WorkerId, ack.Namespace, window);
    }
}
