using System.Diagnostics;
using Aion.Worker.Codec;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal;
using Aion.Worker.Internal.Activities;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Internal.Reconnect;
using Aion.Worker.Internal.Stages;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Transport;
using Microsoft.Extensions.Logging;

namespace Aion.Worker;

/// <summary>
/// A worker of the Aion engine: holds one stream at a time, runs the activity tasks the engine
/// pushes with bounded concurrency, reports their results, and survives drops, drains and restarts
/// without losing a result it computed.
/// </summary>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
public sealed class AionWorker
{
    private readonly WorkerRuntime _runtime;
    private readonly RunController _controller;
    private readonly IWorkerTransport? _transport;
    private readonly WorkerStatusTracker _status;
    private readonly SessionAnnouncer _sessions;
    private CancellationTokenRegistration _stopping;
    private int _running;

    internal AionWorker(WorkerSettings settings, ActivityRegistry registry, IPayloadCodec codec, IReadOnlyCollection<string> acceptedContentTypes, IWorkerTransport? transport, TimeProvider time, ILogger logger, IReadOnlyList<IActivityInterceptor> interceptors, WorkerTelemetry? telemetry = null, StageServicesAndLogging? stages = null)
    {
        _transport = transport;
        _status = new WorkerStatusTracker(time);
        _runtime = new WorkerRuntime(settings, registry, codec, acceptedContentTypes, time, logger, interceptors, telemetry)
        {
            Stages = stages?.Definition ?? PipelineDefinition.Empty,
            LoggerFactory = stages?.LoggerFactory ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance,
            Services = stages?.Services,
        };
        _sessions = new SessionAnnouncer(this);
        _controller = new RunController(_runtime, _sessions);
        ActivityTypes = registry.SortedTypes();
        AvailableHandlers = registry.TypeSet();
    }

    /// <summary>A session was registered (the argument carries the engine's ack).</summary>
    public event EventHandler<SessionStartedEventArgs>? SessionStarted;

    /// <summary>A session ended (the argument says how, and the drop counter after it).</summary>
    public event EventHandler<SessionEndedEventArgs>? SessionEnded;

    /// <summary>Starts building a worker.</summary>
    /// <param name="options">The options; validated by <see cref="AionWorkerBuilder.Build"/>.</param>
    /// <returns>A builder.</returns>
    public static AionWorkerBuilder CreateBuilder(AionWorkerOptions options) => new(options);

    /// <summary>The options in force, with every default resolved (a copy: changing it has no effect).</summary>
    public AionWorkerOptions Options => _runtime.Settings.Resolved.Clone();

    /// <summary>The registered activity types, sorted by the UTF-8 bytes of their names, as sent at registration.</summary>
    /// <value>The names of <see cref="AvailableHandlers"/>, in wire order.</value>
    public IReadOnlyList<string> ActivityTypes { get; }

    /// <summary>The activity types this worker has a handler for: the set a task's activity type is checked against.</summary>
    /// <value>
    /// Exactly the names of <see cref="ActivityTypes"/> (every registered type has one handler), as a
    /// read-only set with ordinal (case-sensitive) comparison, for membership checks such as validating
    /// that an engine-side registration or a workflow only uses types this worker serves. A task naming a
    /// type outside it fails terminally, naming the type.
    /// </value>
    public IReadOnlySet<string> AvailableHandlers { get; }

    /// <summary>The current session's registration, or <see langword="null"/> between sessions.</summary>
    public WorkerRegistration? CurrentRegistration => _sessions.Current;

    /// <summary>How many activities are running now.</summary>
    public int RunningActivities => _runtime.Running;

    /// <summary>How many results wait for the engine's acknowledgement.</summary>
    public int UnackedResults => _runtime.Tracker.Count;

    /// <summary>
    /// What the last run left undelivered, once <see cref="RunAsync(CancellationToken, CancellationToken)"/>
    /// (or <see cref="RunSessionAsync"/>) returned or threw: every result the engine had not acknowledged,
    /// sent or not, with its ids; <see langword="null"/> before the first run ended.
    /// </summary>
    /// <remarks>A graceful shutdown waits up to <see cref="AionWorkerOptions.ShutdownAckTimeout"/> for the acks of the results it sent before this is taken.</remarks>
    public RunSummary? LastRunSummary => _controller.LastRunSummary;

    /// <summary>Where the run is now: its state, the drop counter and the latest error (an immutable snapshot).</summary>
    /// <remarks>
    /// <see cref="AionWorkerState.NotStarted"/> → <see cref="AionWorkerState.Connecting"/> →
    /// <see cref="AionWorkerState.Registered"/> ⇄ <see cref="AionWorkerState.Reconnecting"/>, then
    /// <see cref="AionWorkerState.Stopping"/> → <see cref="AionWorkerState.Stopped"/> on shutdown, or
    /// <see cref="AionWorkerState.Failed"/> when the run fails. Health checks read it.
    /// </remarks>
    public AionWorkerStatus Status => _status.Current;

    internal WorkerRuntime Runtime => _runtime;

    // Lock-free reads only: the debugger may have stopped a thread that holds a lock.
    private string DebuggerDisplay =>
        $"{_runtime.Settings.Identity}: {Status}; {RunningActivities} running, {_runtime.Tracker.CountUnlocked} unacked";

    internal RunController Controller => _controller;

    /// <summary>Runs the worker until <paramref name="shutdown"/> fires or the run fails.</summary>
    /// <param name="shutdown">Graceful shutdown: running activities are cancelled, awaited, and their results reported.</param>
    /// <returns>A task that completes when the run ended and every activity finished.</returns>
    /// <exception cref="AionWorkerException">The run failed: a non-retryable error, failed establishment, or an exhausted drop budget.</exception>
    /// <exception cref="InvalidOperationException">No transport was configured, or the worker is already running.</exception>
    public Task RunAsync(CancellationToken shutdown = default) => RunAsync(shutdown, CancellationToken.None);

    /// <summary>Runs the worker; <paramref name="abandon"/> makes it return at once, logging what is left.</summary>
    /// <param name="shutdown">Graceful shutdown.</param>
    /// <param name="abandon">For hosts with a shutdown deadline: return at once, logging every running activity and unreported result with its ids; nothing is killed.</param>
    /// <returns>A task that completes when the run ended.</returns>
    /// <exception cref="AionWorkerException">The run failed.</exception>
    /// <exception cref="InvalidOperationException">No transport was configured, or the worker is already running.</exception>
    public async Task RunAsync(CancellationToken shutdown, CancellationToken abandon)
    {
        var transport = _transport ?? throw new InvalidOperationException("No transport is configured: call UseTransport (or UseGrpc / UseInMemory) on the builder.");
        EnterRun(shutdown);
        try
        {
            await _controller.RunAsync(transport, shutdown, abandon).ConfigureAwait(false);
        }
        catch (Exception ex) when (_status.RunFailed(ex))
        {
            throw;
        }
        finally
        {
            ExitRun();
        }
    }

    /// <summary>Serves exactly one already-open session: registers, replays unacknowledged results, serves, and returns how it ended.</summary>
    /// <param name="session">An open session; the worker writes the registration first and disposes the session at the end.</param>
    /// <param name="shutdown">Graceful shutdown, as for <see cref="RunAsync(CancellationToken)"/>.</param>
    /// <returns>How the session ended.</returns>
    /// <remarks>
    /// For tests and custom controllers. Activities still running when the session drops keep running;
    /// their results are tracked and sent on the next call. When <paramref name="shutdown"/> fired, the
    /// call returns only after every activity finished.
    /// </remarks>
    public async Task<SessionEnd> RunSessionAsync(IWorkerSession session, CancellationToken shutdown = default)
    {
        ArgumentNullException.ThrowIfNull(session);
        EnterRun(shutdown);
        try
        {
            return await _controller.RunSessionAsync(session, shutdown).ConfigureAwait(false);
        }
        catch (Exception ex) when (_status.RunFailed(ex))
        {
            throw;
        }
        finally
        {
            ExitRun();
        }
    }

    private void EnterRun(CancellationToken shutdown)
    {
        if (Interlocked.Exchange(ref _running, 1) != 0)
        {
            throw new InvalidOperationException("This worker is already running; a worker serves one run (or one session) at a time.");
        }

        _status.RunStarted();
        _stopping = shutdown.UnsafeRegister(static state => ((WorkerStatusTracker)state!).ShutdownRequested(), _status);
        _runtime.Telemetry.Register(_runtime);
    }

    private void ExitRun()
    {
        _stopping.Dispose();
        _status.RunEnded();
        _runtime.Telemetry.Unregister(_runtime);
        _sessions.Clear();
        Volatile.Write(ref _running, 0);
    }

    /// <summary>Announces sessions for the run controller: the current registration, the status, the session span and metrics, and the public events.</summary>
    private sealed class SessionAnnouncer(AionWorker worker) : RunController.IWorkerSessionEvents
    {
        private WorkerRegistration? _registration;
        private Activity? _sessionSpan;

        public WorkerRegistration? Current => Volatile.Read(ref _registration);

        public void Clear() => Volatile.Write(ref _registration, null);

        public void Started(WorkerRegistration registration)
        {
            var runtime = worker._runtime;
            Volatile.Write(ref _registration, registration);
            worker._status.SessionStarted(registration);
            runtime.Telemetry.SessionsOpened.Add(1, runtime.IdentityTag);
            var span = WorkerTelemetry.Source.StartActivity(AionWorkerDiagnostics.Spans.Session, ActivityKind.Client);
            if (span is not null)
            {
                span.SetTag(AionWorkerDiagnostics.Tags.Identity, runtime.Settings.Identity);
                span.SetTag(AionWorkerDiagnostics.Tags.WorkerId, registration.WorkerId);
            }

            _sessionSpan = span;
            Raise(worker.SessionStarted, new SessionStartedEventArgs(registration));
        }

        public void Ended(SessionEnd end, int drops, RunSummary? runSummary)
        {
            var runtime = worker._runtime;
            Volatile.Write(ref _registration, null);
            worker._status.SessionEnded(end, drops);
            var kind = WorkerTelemetry.EndKindName(end.Kind);
            runtime.Telemetry.SessionsEnded.Add(1, runtime.IdentityTag, new KeyValuePair<string, object?>(AionWorkerDiagnostics.Tags.EndKind, kind));
            if (Interlocked.Exchange(ref _sessionSpan, null) is { } span)
            {
                span.SetTag(AionWorkerDiagnostics.Tags.EndKind, kind);
                if (end.Error is { } error)
                {
                    span.SetStatus(ActivityStatusCode.Error, error.Message);
                }

                span.Stop();
            }

            Raise(worker.SessionEnded, new SessionEndedEventArgs(end, drops, runSummary));
        }

        public void EstablishmentFailed(AionWorkerException error) => worker._status.EstablishmentFailed(error);

        private void Raise<T>(EventHandler<T>? handler, T args)
        {
            try
            {
                handler?.Invoke(worker, args);
            }
            catch (Exception ex)
            {
                worker._runtime.Log.EventHandlerFailed(ex);
            }
        }
    }
}
