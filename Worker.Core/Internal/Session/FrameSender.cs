using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// Sends and flushes one session's frames, each under the SendTimeout deadline (a send or flush that
/// misses it fails with a retryable error and never hangs), and counts a frame as sent — the
/// session's health, heartbeat metrics, a progress heartbeat no longer pending — only once the
/// flush after it completed. Used by the write pump only.
/// </summary>
/// <remarks>
/// The deadline is one watchdog per session, not a timer per send: an operation that completes at
/// once costs nothing; one that does not is awaited through this object (a reusable
/// <see cref="IValueTaskSource"/>) while the session's one timer is armed for SendTimeout from the
/// operation's start. Whichever comes first — the operation, the timer, the session's end — settles
/// the wait. An operation given up on is observed when it completes and never awaited again: the
/// session ends with the missed deadline, and every result it carried stays tracked.
/// </remarks>
internal sealed class FrameSender : IValueTaskSource<FrameSender.Outcome>
{
    /// <summary>Flush at least this often under sustained load, so sent frames are confirmed even when the queue never runs empty.</summary>
    internal const int MaxFramesPerFlush = 64;

    private const int Idle = 0;
    private const int Waiting = 1;
    private const int Settled = 2;

    private static readonly KeyValuePair<string, object?> LivenessKind = new(AionWorkerDiagnostics.Tags.HeartbeatKind, "liveness");
    private static readonly KeyValuePair<string, object?> ProgressKind = new(AionWorkerDiagnostics.Tags.HeartbeatKind, "progress");

    private readonly IWorkerSession _transport;
    private readonly WorkerRuntime _runtime;
    private readonly CancellationToken _sessionEnd;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly Action _onPendingCompleted;
    private readonly List<(ActivityExecution Execution, WorkerToServer Frame)> _unflushedProgress = [];
    private ManualResetValueTaskSourceCore<Outcome> _wait;
    private ValueTask _pending;
    private long _pendingSince;
    private int _state;
    private ITimer? _watchdog;
    private int _unflushed;
    private int _unflushedLiveness;
    private bool _unflushedLiveResult;
    private volatile bool _liveResultSent;

    public FrameSender(IWorkerSession transport, WorkerRuntime runtime, CancellationToken sessionEnd)
    {
        _transport = transport;
        _runtime = runtime;
        _sessionEnd = sessionEnd;
        _timeout = runtime.Settings.SendTimeout;
        _time = runtime.Time;
        _onPendingCompleted = OnPendingCompleted;
        _wait.RunContinuationsAsynchronously = false;
    }

    /// <summary>What settled a wait.</summary>
    internal enum Outcome
    {
        Completed,
        TimedOut,
        SessionEnded,
    }

    /// <summary>Whether a live result (not a replay) was sent and flushed on the session.</summary>
    public bool LiveResultSent => _liveResultSent;

    /// <summary>Whether frames were sent since the last flush.</summary>
    public bool HasUnflushed => _unflushed > 0;

    /// <summary>Sends one frame; flushes when <see cref="MaxFramesPerFlush"/> frames are unflushed.</summary>
    public ValueTask SendAsync(WorkerToServer frame)
    {
        var pending = _transport.SendAsync(frame, _sessionEnd);
        if (!pending.IsCompletedSuccessfully)
        {
            return SendSlowAsync(pending);
        }

        return ++_unflushed < MaxFramesPerFlush ? default : FlushAsync();
    }

    /// <summary>Flushes every frame sent so far, then counts them as sent.</summary>
    public ValueTask FlushAsync()
    {
        var pending = _transport.FlushAsync(_sessionEnd);
        if (!pending.IsCompletedSuccessfully)
        {
            return FlushSlowAsync(pending);
        }

        Confirm();
        return default;
    }

    /// <summary>Closes the worker's side of the stream (the transport's <c>CompleteAsync</c>) under the same deadline.</summary>
    public ValueTask CloseAsync()
    {
        var pending = _transport.CompleteAsync(_sessionEnd);
        return pending.IsCompletedSuccessfully ? default : WithinDeadlineAsync(pending, "close");
    }

    /// <summary>Notes that the frame just sent was a live result (it makes the session healthy once flushed).</summary>
    public void SentLiveResult() => _unflushedLiveResult = true;

    /// <summary>Notes that the frame just sent was <paramref name="execution"/>'s progress (no longer pending once flushed).</summary>
    public void SentProgress(ActivityExecution execution, WorkerToServer frame) => _unflushedProgress.Add((execution, frame));

    /// <summary>Notes <paramref name="count"/> liveness heartbeats just sent.</summary>
    public void SentLiveness(int count) => _unflushedLiveness += count;

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask SendSlowAsync(ValueTask pending)
    {
        await WithinDeadlineAsync(pending, "send").ConfigureAwait(false);
        if (++_unflushed >= MaxFramesPerFlush)
        {
            await FlushAsync().ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask FlushSlowAsync(ValueTask pending)
    {
        await WithinDeadlineAsync(pending, "flush").ConfigureAwait(false);
        Confirm();
    }

    /// <summary>Awaits <paramref name="pending"/> until it completes, the deadline passes (from now) or the session ends.</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WithinDeadlineAsync(ValueTask pending, string what)
    {
        if (_state != Idle)
        {
            // An earlier operation was given up on: the session is over.
            throw new OperationCanceledException("The session ended.", _sessionEnd);
        }

        if (_watchdog is null)
        {
            _watchdog = _time.CreateTimer(static s => ((FrameSender)s!).OnDeadline(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            // Not kept: it fires when the session ends, and the session's end source is disposed after that.
            _ = _sessionEnd.UnsafeRegister(static s => ((FrameSender)s!).OnSessionEnd(), this);
        }

        _wait.Reset();
        _pending = pending;
        _pendingSince = _time.GetTimestamp();
        Volatile.Write(ref _state, Waiting);
        Arm(_timeout);
        if (_sessionEnd.IsCancellationRequested)
        {
            // The session ended before the wait began: its callback may have seen no wait to settle.
            SettleElsewhere(Outcome.SessionEnded);
        }

        pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onPendingCompleted);
        var outcome = await new ValueTask<Outcome>(this, _wait.Version).ConfigureAwait(false);
        switch (outcome)
        {
            case Outcome.Completed:
                Arm(Timeout.InfiniteTimeSpan);
                _pending = default;
                Volatile.Write(ref _state, Idle);

                // Throws the operation's own failure, if any.
                pending.GetAwaiter().GetResult();
                return;
            case Outcome.TimedOut:
                throw new AionWorkerException(AionErrorKind.SendTimeout, $"An outbound {what} did not complete within the send timeout of {_timeout.TotalMilliseconds} ms.", innerException: new TimeoutException());
            default:
                throw new OperationCanceledException("The session ended.", _sessionEnd);
        }
    }

    private void Arm(TimeSpan dueTime)
    {
        try
        {
            _watchdog!.Change(dueTime, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The session ended: its callback settles the wait.
        }
    }

    private void OnPendingCompleted()
    {
        if (!TrySettle(Outcome.Completed))
        {
            // Given up on (deadline or session end): observe its result so a failure is not left unobserved.
            try
            {
                _pending.GetAwaiter().GetResult();
            }
            catch (Exception)
            {
                // The session ended already, for the reason reported then.
            }
        }
    }

    private void OnDeadline()
    {
        // A late tick for an operation that completed is ignored; a tick that came before the deadline
        // (timer and timestamp clocks differ slightly) re-arms for the rest.
        if (Volatile.Read(ref _state) != Waiting)
        {
            return;
        }

        var left = _timeout - _time.GetElapsedTime(Volatile.Read(ref _pendingSince));
        if (left > TimeSpan.Zero)
        {
            Arm(left);
            return;
        }

        SettleElsewhere(Outcome.TimedOut);
    }

    private void OnSessionEnd()
    {
        _watchdog?.Dispose();
        if (Volatile.Read(ref _state) == Waiting)
        {
            SettleElsewhere(Outcome.SessionEnded);
        }
    }

    /// <summary>Settles the wait from a timer or the session's end: the write pump resumes on the thread pool, not on their thread.</summary>
    private void SettleElsewhere(Outcome outcome)
    {
        if (Interlocked.CompareExchange(ref _state, Settled, Waiting) == Waiting)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static s => s.Item1._wait.SetResult(s.Item2), (this, outcome), preferLocal: false);
        }
    }

    private bool TrySettle(Outcome outcome)
    {
        if (Interlocked.CompareExchange(ref _state, Settled, Waiting) != Waiting)
        {
            return false;
        }

        _wait.SetResult(outcome);
        return true;
    }

    Outcome IValueTaskSource<Outcome>.GetResult(short token) => _wait.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<Outcome>.GetStatus(short token) => _wait.GetStatus(token);

    void IValueTaskSource<Outcome>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _wait.OnCompleted(continuation, state, token, flags);

    private void Confirm()
    {
        _unflushed = 0;
        if (_unflushedLiveResult)
        {
            _unflushedLiveResult = false;
            _liveResultSent = true;
        }

        if (_unflushedLiveness > 0)
        {
            _runtime.Telemetry.HeartbeatsSent.Add(_unflushedLiveness, _runtime.IdentityTag, LivenessKind);
            _unflushedLiveness = 0;
        }

        if (_unflushedProgress.Count > 0)
        {
            _runtime.Telemetry.HeartbeatsSent.Add(_unflushedProgress.Count, _runtime.IdentityTag, ProgressKind);
            foreach (var (execution, frame) in _unflushedProgress)
            {
                execution.ProgressSent(frame);
            }

            _unflushedProgress.Clear();
        }
    }
}
