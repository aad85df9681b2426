using System.Diagnostics;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// The only part of the pipeline tied to one session: a read pump (receive → validate → apply or
/// enqueue), a write pump (replay first, then the outbound channel → send), the liveness pump and
/// the finisher for a drain or shutdown, over one <see cref="IWorkerSession"/>. It records how the
/// session ended; <see cref="Completion"/> completes once every pump stopped and the transport was
/// disposed. Its owner disposes it after <see cref="Completion"/> (and the pipeline's detach).
/// </summary>
[DebuggerDisplay("{DebuggerDisplay,nq}")]
internal sealed class SessionAdapter : IDisposable
{
    private readonly WorkerRuntime _runtime;
    private readonly WorkerPipeline _pipeline;
    private readonly CancellationTokenSource _end = new();
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TimeProvider _time;
    private readonly SessionFinisher _finisher;
    private Task<SessionEnd>? _completion;
    private int _endedFlag;
    private SessionEndKind _endKind;
    private AionWorkerException? _endError;
    private long _ackTimestamp;
    private long _endTimestamp;
    private long _lastAckTimestamp;
    private volatile bool _drainSeen;
    private bool _readingBatch;
    private volatile bool _replayed;
    private volatile bool _started;
    private int _closingAs = -1;

    public SessionAdapter(WorkerRuntime runtime, WorkerPipeline pipeline, IWorkerSession transport, WorkerRegistration registration, long id)
    {
        _runtime = runtime;
        _pipeline = pipeline;
        _time = runtime.Time;
        Transport = transport;
        Registration = registration;
        Id = id;
        EndToken = _end.Token;
        Sender = new FrameSender(transport, runtime, EndToken);
        Liveness = new LivenessPump(this, runtime, pipeline);
        _finisher = new SessionFinisher(this, runtime, pipeline);
    }

    public long Id { get; }

    public WorkerRegistration Registration { get; }

    public IWorkerSession Transport { get; }

    /// <summary>Fires when the session ended: every wait tied to the session stops.</summary>
    public CancellationToken EndToken { get; }

    public FrameSender Sender { get; }

    public LivenessPump Liveness { get; }

    /// <summary>How the session ended, once its pumps stopped and the transport was disposed; never faults.</summary>
    public Task<SessionEnd> Completion => _completion ?? throw new InvalidOperationException("The session was not attached.");

    public bool IsEnded => Volatile.Read(ref _endedFlag) != 0;

    /// <summary>Whether the pumps started (the dispatcher serves the session only then).</summary>
    public bool IsStarted => _started;

    /// <summary>Whether a drain or shutdown asked the session to finish: no new task starts on it.</summary>
    public bool IsFinishing => _finisher.IsRequested;

    /// <summary>Whether the replay finished: new tasks may start.</summary>
    public bool Replayed => _replayed;

    /// <summary>Whether the read pump is past the first task of frames it read back to back, so more results follow at once (set by the read pump; read by the write pump to batch).</summary>
    public bool ReadingBatch
    {
        get => Volatile.Read(ref _readingBatch);
        set => Volatile.Write(ref _readingBatch, value);
    }

    /// <summary>Whether a drain frame arrived (it latches).</summary>
    public bool DrainSeen => _drainSeen;

    /// <summary>Whether shutdown ended the session before its replay finished.</summary>
    public bool InterruptedReplay { get; private set; }

    /// <summary>When the last ack arrived (the RegisterAck at first), for the stalled-tracker rule.</summary>
    public long LastAckTimestamp => Volatile.Read(ref _lastAckTimestamp);

    private string DebuggerDisplay
    {
        get
        {
            var state = IsEnded ? $"ended ({_endKind}{(_endError is null ? string.Empty : $": {_endError.Message}")})"
                : IsFinishing ? "finishing"
                : !_started ? "not started"
                : _replayed ? "serving" : "replaying";
            return $"Session {Id}, worker {Registration.WorkerId} in '{Registration.Namespace}': {state}{(_drainSeen ? ", drain seen" : string.Empty)}";
        }
    }

    /// <summary>Starts the pumps (the pipeline attached the session and took the replay snapshot).</summary>
    internal void Start(TrackedResult[] replay)
    {
        _ackTimestamp = _time.GetTimestamp();
        _lastAckTimestamp = _ackTimestamp;
        _replayed = replay.Length == 0;
        Liveness.Start();
        var reading = Task.Run(new SessionReadPump(this, _runtime, _pipeline).RunAsync, CancellationToken.None);
        var writing = Task.Run(new SessionWritePump(this, _runtime, _pipeline, replay).RunAsync, CancellationToken.None);
        var cancels = Transport.CancelRequests is { } requests
            ? Task.Run(() => SessionReadPump.ApplyCancelRequestsAsync(requests, _runtime, EndToken), CancellationToken.None)
            : Task.CompletedTask;
        _completion = CompleteAsync(reading, writing, cancels, _finisher.RunAsync());
        _started = true;
    }

    /// <summary>Records how the session ended, once: writers and waits tied to it stop at once.</summary>
    public bool TryEnd(SessionEndKind kind, AionWorkerException? error)
    {
        if (Interlocked.Exchange(ref _endedFlag, 1) != 0)
        {
            return false;
        }

        _endTimestamp = _time.GetTimestamp();
        _endKind = kind;
        _endError = error;
        _pipeline.Unpublish(this);
        try
        {
            _end.Cancel();
        }
        catch (AggregateException)
        {
            // Callbacks only wake waiters; nothing to report.
        }

        // Wakes the write pump, which waits for the channel without a token.
        _pipeline.Poke(this);
        _ended.TrySetResult();
        return true;
    }

    /// <summary>The engine ended the stream with status OK: once the worker closed its side for a drain or shutdown, that is the expected end of that close.</summary>
    public void EndOfStream()
    {
        var closingAs = Volatile.Read(ref _closingAs);
        TryEnd(closingAs < 0 ? SessionEndKind.CleanClose : (SessionEndKind)closingAs, null);
    }

    /// <summary>The write pump is closing the worker's side of the stream to finish the session as <paramref name="kind"/>.</summary>
    internal void Closing(SessionEndKind kind) => Volatile.Write(ref _closingAs, (int)kind);

    /// <summary>Ends the session after a failure of a send, a receive or the transport.</summary>
    public void EndWith(Exception exception)
    {
        var (kind, error) = SessionEndClassifier.FromFailure(exception);
        TryEnd(kind, error);
    }

    /// <summary>Ends the session with a decode error: the engine sent a malformed frame.</summary>
    public void DecodeError(string problem)
    {
        _runtime.Log.DecodeError(_runtime.Settings.Identity, Id, problem);
        TryEnd(SessionEndKind.Error, new AionWorkerException(AionErrorKind.Protocol, $"The engine sent a malformed frame: {problem}."));
    }

    /// <summary>Shutdown came while the replay ran: it wins at once.</summary>
    public void EndBeforeReplayFinished()
    {
        InterruptedReplay = true;
        TryEnd(SessionEndKind.Shutdown, null);
    }

    /// <summary>Asks the session to finish for a drain or shutdown (report everything, close the stream).</summary>
    public void BeginFinish(SessionEndKind kind) => _finisher.Request(kind);

    internal void MarkReplayed()
    {
        _replayed = true;
        _pipeline.Wake();
    }

    internal void OnAck(bool removed)
    {
        // Only the stall rule reads it, and only while the tracker blocks: an ack before that is older than the block itself.
        if (_pipeline.AwaitingAck)
        {
            Volatile.Write(ref _lastAckTimestamp, _time.GetTimestamp());
        }

        if (removed)
        {
            _pipeline.AckRemoved();
        }

        _finisher.AckArrived();
    }

    /// <summary>Releases the end signal; call once <see cref="Completion"/> completed (every pump stopped).</summary>
    public void Dispose() => _end.Dispose();

    internal void OnDrain()
    {
        if (!_drainSeen)
        {
            _drainSeen = true;
            _runtime.Log.DrainReceived(_runtime.Settings.Identity, Id);
        }

        _pipeline.Wake();
    }

    private async Task<SessionEnd> CompleteAsync(Task reading, Task writing, Task cancels, Task finishing)
    {
        await _ended.Task.ConfigureAwait(false);
        Liveness.Dispose();
        try
        {
            await Transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _runtime.Log.SessionDisposeFailed(ex, _runtime.Settings.Identity, Id);
        }

        await Task.WhenAll(reading, writing, cancels, finishing).ConfigureAwait(false);
        var settings = _runtime.Settings;
        return SessionEndClassifier.Classify(
            _endKind,
            _endError,
            _drainSeen,
            Sender.LiveResultSent,
            _time.GetElapsedTime(_ackTimestamp, _endTimestamp),
            Registration,
            settings.MaxBackoff,
            settings.BearerTokenProvider is not null);
    }
}
