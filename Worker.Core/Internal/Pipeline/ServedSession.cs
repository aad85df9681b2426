using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Session;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Grpc.Core;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// Serves one registered session: the reader (transport adapter and decoding, feeding the bounded
/// intake), the dispatcher (concurrency and unacked bounds, drain and shutdown), the sender
/// (replay, results, heartbeats under the send deadline) and the liveness pump.
/// </summary>
internal sealed class ServedSession
{
    private readonly WorkerRuntime _runtime;
    private readonly IWorkerSession _transport;
    private readonly Channel<ActivityExecution> _intake;
    private readonly Channel<OutboundItem> _outbound;
    private readonly CancellationTokenSource _end = new();
    private readonly CancellationToken _endToken;
    private readonly TaskCompletionSource _ended = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly AsyncSignal _wake = new();
    private readonly AsyncSignal _acked = new();
    private readonly AsyncSignal _space = new();
    private readonly TimeProvider _time;
    private CancellationToken _shutdown;
    private ITimer? _pump;
    private int _endedFlag;
    private SessionEndKind _endKind;
    private AionWorkerException? _endError;
    private long _ackTimestamp;
    private long _endTimestamp;
    private long _lastAckTimestamp;
    private long _roomBlockedSince;
    private volatile bool _drainSeen;

    /// <summary>Set while the unacked tracker (not concurrency) keeps tasks from starting: the reader then reads past a full queue to reach the acks.</summary>
    private volatile bool _readPastFullQueue;
    private volatile bool _replayed;
    private TrackedResult[] _replay = [];
    private volatile bool _liveResultSent;
    private int _livenessDue;

    public ServedSession(WorkerRuntime runtime, IWorkerSession transport, WorkerRegistration registration, long id)
    {
        _runtime = runtime;
        _transport = transport;
        Registration = registration;
        Id = id;
        _time = runtime.Time;
        _endToken = _end.Token;
        // MaxQueuedTasks is the reading bound; the channel's hard bound leaves room to read past a
        // full queue while the unacked tracker is what blocks (see ReadPastFullQueue).
        _intake = Channel.CreateBounded<ActivityExecution>(new BoundedChannelOptions((int)Math.Min(int.MaxValue, (long)runtime.Settings.MaxQueuedTasks + runtime.Settings.MaxUnackedResults))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _outbound = Channel.CreateBounded<OutboundItem>(new BoundedChannelOptions(Math.Max(256, runtime.Settings.MaxConcurrency * 4))
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long Id { get; }

    public WorkerRegistration Registration { get; }

    /// <summary>Whether shutdown ended the session before its replay finished.</summary>
    public bool InterruptedReplay { get; private set; }

    /// <summary>Serves the session until it ends; never throws.</summary>
    public async Task<SessionEnd> ServeAsync(CancellationToken shutdown)
    {
        _shutdown = shutdown;
        _ackTimestamp = _time.GetTimestamp();
        _lastAckTimestamp = _ackTimestamp;
        _runtime.Tracker.BeginSession(Id);
        _runtime.Publish(this);

        // Taken after publishing: an outcome recorded later is queued on this session instead.
        _replay = _runtime.Tracker.Snapshot();
        _replayed = _replay.Length == 0;
        using var shutdownRegistration = shutdown.UnsafeRegister(static state => ((ServedSession)state!).Wake(), this);
        StartPump();

        var reader = Task.Run(ReadLoopAsync, CancellationToken.None);
        var sender = Task.Run(SendLoopAsync, CancellationToken.None);
        var dispatcher = Task.Run(DispatchLoopAsync, CancellationToken.None);
        var cancels = _transport.CancelRequests is { } requests
            ? Task.Run(() => CancelLoopAsync(requests), CancellationToken.None)
            : Task.CompletedTask;

        await _ended.Task.ConfigureAwait(false);

        _pump?.Dispose();
        try
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _runtime.Log.DecodeError(_runtime.Settings.Identity, Id, $"disposing the transport session failed: {ex.Message}");
        }

        await Task.WhenAll(reader, sender, dispatcher, cancels).ConfigureAwait(false);
        while (_intake.Reader.TryRead(out var queued))
        {
            _runtime.InFlight.Discard(queued);
        }

        return BuildEnd();
    }

    public void Wake() => _wake.Set();

    /// <summary>Queues a result for sending; silently does nothing once the session ended (the tracker keeps it).</summary>
    public async ValueTask EnqueueResultAsync(TrackedResult entry)
    {
        var item = OutboundItem.Result(entry);
        if (_outbound.Writer.TryWrite(item))
        {
            return;
        }

        try
        {
            await _outbound.Writer.WriteAsync(item, _endToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            // The session ended; the result stays tracked and is replayed on the next session.
        }
    }

    /// <summary>Queues a progress heartbeat; does nothing once the session ended (the latest progress is kept).</summary>
    public async ValueTask EnqueueProgressAsync(ActivityExecution execution, WorkerToServer frame, CancellationToken cancellationToken)
    {
        var item = OutboundItem.Progress(execution, frame);
        if (_outbound.Writer.TryWrite(item))
        {
            return;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_endToken, cancellationToken);
        try
        {
            await _outbound.Writer.WriteAsync(item, linked.Token).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
        }
    }

    private bool TryEnd(SessionEndKind kind, AionWorkerException? error)
    {
        if (Interlocked.Exchange(ref _endedFlag, 1) != 0)
        {
            return false;
        }

        _endTimestamp = _time.GetTimestamp();
        _endKind = kind;
        _endError = error;
        _runtime.Unpublish(this);
        _outbound.Writer.TryComplete();
        _intake.Writer.TryComplete();
        try
        {
            _end.Cancel();
        }
        catch (AggregateException)
        {
            // Callbacks only wake waiters; nothing to report.
        }

        _wake.Set();
        _ended.TrySetResult();
        return true;
    }

    private void EndWith(Exception exception)
    {
        if (exception is RpcException { StatusCode: StatusCode.OK })
        {
            TryEnd(SessionEndKind.CleanClose, null);
            return;
        }

        TryEnd(SessionEndKind.Error, WorkerRuntime.ToWorkerException(exception));
    }

    private SessionEnd BuildEnd()
    {
        var kind = _endKind;
        var error = _endError;
        if (_drainSeen && (kind == SessionEndKind.CleanClose || (kind == SessionEndKind.Error && error is not null && _runtime.IsRetryableMidStream(error))))
        {
            kind = SessionEndKind.Drain;
        }

        var connectedFor = _time.GetElapsedTime(_ackTimestamp, _endTimestamp);
        var healthy = _liveResultSent || connectedFor > _runtime.Settings.MaxBackoff;
        return new SessionEnd(kind, error, Registration, healthy, connectedFor);
    }

    // ---- reader -------------------------------------------------------------------------------

    private async Task ReadLoopAsync()
    {
        try
        {
            while (true)
            {
                if (!_transport.TryReceive(out var inbound))
                {
                    inbound = await _transport.ReceiveAsync(_endToken).ConfigureAwait(false);
                }

                if (inbound.IsEndOfStream)
                {
                    TryEnd(SessionEndKind.CleanClose, null);
                    return;
                }

                if (FrameValidator.Decode(inbound, out var undecodable) is not { } frame)
                {
                    DecodeError(undecodable!);
                    return;
                }

                switch (frame.MessageCase)
                {
                    case ServerToWorker.MessageOneofCase.Task:
                        if (!await AcceptTaskAsync(frame.Task).ConfigureAwait(false))
                        {
                            return;
                        }

                        break;
                    case ServerToWorker.MessageOneofCase.ResultAck:
                        var ack = frame.ResultAck;
                        if (ack.WorkflowId is null || ack.WorkflowId.Uuid.Length == 0 || ack.ActivityId is null)
                        {
                            DecodeError("a ResultAck without a workflow id or an activity id");
                            return;
                        }

                        _lastAckTimestamp = _time.GetTimestamp();
                        if (_runtime.Tracker.TryAck(new ResultKey(ack.WorkflowId.Uuid, ack.ActivityId.SequencePosition), Id) == AckOutcome.Removed)
                        {
                            _wake.Set();
                        }

                        _acked.Set();
                        break;
                    case ServerToWorker.MessageOneofCase.Drain:
                        if (!_drainSeen)
                        {
                            _drainSeen = true;
                            _runtime.Log.DrainReceived(_runtime.Settings.Identity, Id);
                        }

                        _wake.Set();
                        break;
                    case ServerToWorker.MessageOneofCase.RegisterAck:
                        DecodeError("a second RegisterAck");
                        return;
                    default:
                        var unknownSize = frame.CalculateSize();
                        if (unknownSize == 0)
                        {
                            DecodeError("a frame with no message set");
                            return;
                        }

                        _runtime.Log.UnknownFrameSkipped(_runtime.Settings.Identity, Id, unknownSize);
                        break;
                }
            }
        }
        catch (Exception) when (_endToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            EndWith(ex);
        }
    }

    private async ValueTask<bool> AcceptTaskAsync(ActivityTask task)
    {
        if (FrameValidator.TaskProblem(task) is { } problem)
        {
            DecodeError(problem);
            return false;
        }

        var execution = _runtime.CreateExecution(task, Registration.HeartbeatWindow, Id);
        _runtime.Telemetry.TasksReceived.Add(1, _runtime.IdentityTag, new KeyValuePair<string, object?>(AionWorkerDiagnostics.Tags.ActivityType, task.ActivityType));
        if (!_runtime.InFlight.TryAdmit(execution))
        {
            _runtime.Log.DuplicateDispatch(execution.Key.WorkflowId, execution.Key.Position, execution.Key.Attempt);
            return true;
        }

        try
        {
            // Stop reading while the queue is full (HTTP/2 flow control pushes back on the engine),
            // unless the unacked tracker is the blocker: then the acks that free it may sit behind
            // these tasks in the stream, so reading goes on (bounded by MaxUnackedResults more).
            while (_intake.Reader.Count >= _runtime.Settings.MaxQueuedTasks && !_readPastFullQueue)
            {
                await _space.WaitAsync().WaitAsync(_endToken).ConfigureAwait(false);
            }

            if (!_intake.Writer.TryWrite(execution))
            {
                await _intake.Writer.WriteAsync(execution, _endToken).ConfigureAwait(false);
            }
        }
        catch (Exception)
        {
            // The session ended while the queue was full: the task was never started.
            _runtime.InFlight.Discard(execution);
            throw;
        }

        _wake.Set();
        return true;
    }

    private void DecodeError(string problem)
    {
        _runtime.Log.DecodeError(_runtime.Settings.Identity, Id, problem);
        TryEnd(SessionEndKind.Error, new AionWorkerException(AionErrorKind.Protocol, $"The engine sent a malformed frame: {problem}."));
    }

    // ---- sender -------------------------------------------------------------------------------

    private async Task SendLoopAsync()
    {
        try
        {
            var entries = _replay;

            // The session keeps no reference to the snapshot: acked entries can be collected during a long session.
            _replay = [];
            if (entries.Length > 0)
            {
                _runtime.Log.Replaying(_runtime.Settings.Identity, entries.Length, Id);
            }

            foreach (var entry in entries)
            {
                if (Volatile.Read(ref _livenessDue) != 0)
                {
                    await SendLivenessRoundAsync().ConfigureAwait(false);
                }

                if (_runtime.Tracker.NeedsSending(entry, Id))
                {
                    // Marked before the write: the engine may ack before the write returns.
                    _runtime.Tracker.MarkSent(entry, Id);
                    await SendAsync(entry.Frame).ConfigureAwait(false);
                }
            }

            _replayed = true;
            _wake.Set();

            foreach (var (execution, progress) in _runtime.InFlight.PendingProgress())
            {
                await SendAsync(progress).ConfigureAwait(false);
                execution.ProgressSent(progress);
                CountHeartbeats(1, ProgressKind);
            }

            var reader = _outbound.Reader;
            while (await reader.WaitToReadAsync(_endToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var item))
                {
                    if (Volatile.Read(ref _livenessDue) != 0)
                    {
                        await SendLivenessRoundAsync().ConfigureAwait(false);
                    }

                    await ProcessAsync(item).ConfigureAwait(false);
                }
            }
        }
        catch (Exception) when (_endToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            EndWith(ex);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ProcessAsync(OutboundItem item)
    {
        switch (item.Kind)
        {
            case OutboundItem.ItemKind.Result:
                var entry = (TrackedResult)item.Target!;
                if (_runtime.Tracker.NeedsSending(entry, Id))
                {
                    // Marked before the write: the engine may ack before the write returns. A failed
                    // write ends the session, and the next session replays the entry whatever its mark.
                    var current = _runtime.Tracker.MarkSent(entry, Id);
                    await SendAsync(entry.Frame).ConfigureAwait(false);
                    if (current)
                    {
                        _liveResultSent = true;
                    }
                }

                break;
            case OutboundItem.ItemKind.Progress:
                await SendAsync(item.Frame!).ConfigureAwait(false);
                ((ActivityExecution)item.Target!).ProgressSent(item.Frame!);
                CountHeartbeats(1, ProgressKind);
                break;
            case OutboundItem.ItemKind.Flush:
                ((TaskCompletionSource)item.Target!).TrySetResult();
                break;
            case OutboundItem.ItemKind.Poke:
                if (Volatile.Read(ref _livenessDue) != 0)
                {
                    await SendLivenessRoundAsync().ConfigureAwait(false);
                }

                break;
        }
    }

    private async ValueTask SendLivenessRoundAsync()
    {
        Volatile.Write(ref _livenessDue, 0);
        var frames = _runtime.InFlight.LivenessFrames();
        foreach (var frame in frames)
        {
            await SendAsync(frame).ConfigureAwait(false);
        }

        CountHeartbeats(frames.Count, LivenessKind);
    }

    private static readonly KeyValuePair<string, object?> LivenessKind = new(AionWorkerDiagnostics.Tags.HeartbeatKind, "liveness");
    private static readonly KeyValuePair<string, object?> ProgressKind = new(AionWorkerDiagnostics.Tags.HeartbeatKind, "progress");

    private void CountHeartbeats(int count, KeyValuePair<string, object?> kind)
    {
        if (count > 0)
        {
            _runtime.Telemetry.HeartbeatsSent.Add(count, _runtime.IdentityTag, kind);
        }
    }

    private ValueTask SendAsync(WorkerToServer frame)
    {
        var pending = _transport.SendAsync(frame, _endToken);
        return pending.IsCompletedSuccessfully ? default : AwaitSendAsync(pending);
    }

    private async ValueTask AwaitSendAsync(ValueTask pending)
    {
        var timeout = _runtime.Settings.SendTimeout;
        try
        {
            await pending.AsTask().WaitAsync(timeout, _time, _endToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new AionWorkerException(AionErrorKind.SendTimeout, $"An outbound send did not complete within the send timeout of {timeout.TotalMilliseconds} ms.", innerException: ex);
        }
    }

    // ---- liveness pump ------------------------------------------------------------------------

    private void StartPump()
    {
        var window = Registration.HeartbeatWindow;
        if (window <= TimeSpan.Zero)
        {
            return;
        }

        var interval = WorkerRuntime.LivenessInterval(window);
        _pump = _time.CreateTimer(static state => ((ServedSession)state!).OnPumpTick(), this, interval, interval);
    }

    private void OnPumpTick()
    {
        if (Volatile.Read(ref _endedFlag) != 0 || _runtime.InFlightCount == 0)
        {
            return;
        }

        Volatile.Write(ref _livenessDue, 1);

        // If the channel is full the sender is busy and sees the flag before its next item.
        _outbound.Writer.TryWrite(OutboundItem.Poke);
    }

    // ---- dispatcher ---------------------------------------------------------------------------

    private async Task DispatchLoopAsync()
    {
        try
        {
            var settings = _runtime.Settings;
            while (!_endToken.IsCancellationRequested)
            {
                if (_shutdown.IsCancellationRequested)
                {
                    if (!_replayed)
                    {
                        // Shutdown wins over a replay at once.
                        InterruptedReplay = true;
                        TryEnd(SessionEndKind.Shutdown, null);
                        return;
                    }

                    await FinishAsync(SessionEndKind.Shutdown).ConfigureAwait(false);
                    return;
                }

                TimeSpan? stallLeft = null;
                if (_replayed)
                {
                    var running = _runtime.Running;
                    if (running < settings.MaxConcurrency)
                    {
                        var tracked = _runtime.Tracker.Count;
                        if (tracked + running < settings.MaxUnackedResults)
                        {
                            _roomBlockedSince = 0;
                            _readPastFullQueue = false;
                            if (_intake.Reader.TryRead(out var execution))
                            {
                                _runtime.Start(execution);
                                _space.Set();
                                continue;
                            }
                        }
                        else if (tracked > 0)
                        {
                            if (!_readPastFullQueue)
                            {
                                _readPastFullQueue = true;
                                _space.Set();
                            }

                            stallLeft = StallTimeLeft();
                            if (stallLeft <= TimeSpan.Zero)
                            {
                                TryEnd(SessionEndKind.Error, new AionWorkerException(
                                    AionErrorKind.UnackedResultsStalled,
                                    $"The unacked-result tracker stayed full ({tracked} results, {running} running, bound {settings.MaxUnackedResults}) with no ack for {settings.MaxBackoff.TotalMilliseconds} ms."));
                                return;
                            }
                        }
                    }

                    if (_drainSeen && _intake.Reader.Count == 0 && _runtime.Running == 0)
                    {
                        await FinishAsync(SessionEndKind.Drain).ConfigureAwait(false);
                        return;
                    }
                }

                await WaitForWakeAsync(stallLeft).ConfigureAwait(false);
            }
        }
        catch (Exception) when (_endToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            EndWith(ex);
        }
    }

    private TimeSpan StallTimeLeft()
    {
        var now = _time.GetTimestamp();
        if (_roomBlockedSince == 0)
        {
            _roomBlockedSince = now;
        }

        var since = Math.Max(_roomBlockedSince, _lastAckTimestamp);
        return _runtime.Settings.MaxBackoff - _time.GetElapsedTime(since, now);
    }

    private async Task WaitForWakeAsync(TimeSpan? timeout)
    {
        var wake = _wake.WaitAsync();
        if (timeout is not { } delay || wake.IsCompleted)
        {
            await wake.ConfigureAwait(false);
            return;
        }

        using var stopDelay = CancellationTokenSource.CreateLinkedTokenSource(_endToken);
        var timer = Task.Delay(delay, _time, stopDelay.Token);
        await Task.WhenAny(wake, timer).ConfigureAwait(false);
        stopDelay.Cancel();
    }

    /// <summary>Drain or shutdown: wait for every running activity, send everything, then close the stream.</summary>
    private async Task FinishAsync(SessionEndKind kind)
    {
        if (kind == SessionEndKind.Shutdown)
        {
            _runtime.InFlight.CancelAll(ActivityCancellationReason.Shutdown);
            await _runtime.InFlight.WhenIdleAsync(_endToken).ConfigureAwait(false);
        }

        // Everything queued before this marker (every result of a finished activity) is sent first.
        var flushed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _outbound.Writer.WriteAsync(OutboundItem.Flush(flushed), _endToken).ConfigureAwait(false);
        await flushed.Task.WaitAsync(_endToken).ConfigureAwait(false);

        if (kind == SessionEndKind.Drain)
        {
            await AwaitAcksAsync().ConfigureAwait(false);
        }

        try
        {
            await _transport.CompleteAsync(_endToken).AsTask().WaitAsync(_runtime.Settings.SendTimeout, _time, _endToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !_endToken.IsCancellationRequested)
        {
            // Every result was already sent; a failed close changes nothing about what was reported.
        }

        TryEnd(kind, null);
    }

    /// <summary>After a drain, gives the engine up to the send timeout to ack what this session sent.</summary>
    private async Task AwaitAcksAsync()
    {
        using var deadline = new CancellationTokenSource(_runtime.Settings.SendTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, _endToken);
        try
        {
            while (_runtime.Tracker.AwaitingAckOnCurrentSession > 0)
            {
                await _acked.WaitAsync().WaitAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested && !_endToken.IsCancellationRequested)
        {
            // Unacked results stay tracked and are replayed on the next session.
        }
    }

    private async Task CancelLoopAsync(ChannelReader<ActivityCancelRequest> requests)
    {
        try
        {
            await foreach (var request in requests.ReadAllAsync(_endToken).ConfigureAwait(false))
            {
                _runtime.InFlight.CancelMatching(request);
            }
        }
        catch (Exception) when (_endToken.IsCancellationRequested)
        {
        }
        catch (ChannelClosedException)
        {
        }
    }
}
