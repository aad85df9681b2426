using System.Runtime.CompilerServices;
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
internal sealed class FrameSender(IWorkerSession transport, WorkerRuntime runtime, CancellationToken sessionEnd)
{
    /// <summary>Flush at least this often under sustained load, so sent frames are confirmed even when the queue never runs empty.</summary>
    internal const int MaxFramesPerFlush = 64;

    private static readonly KeyValuePair<string, object?> LivenessKind = new(AionWorkerDiagnostics.Tags.HeartbeatKind, "liveness");
    private static readonly KeyValuePair<string, object?> ProgressKind = new(AionWorkerDiagnostics.Tags.HeartbeatKind, "progress");

    private readonly TimeSpan _timeout = runtime.Settings.SendTimeout;
    private readonly TimeProvider _time = runtime.Time;
    private readonly List<(ActivityExecution Execution, WorkerToServer Frame)> _unflushedProgress = [];
    private int _unflushed;
    private int _unflushedLiveness;
    private bool _unflushedLiveResult;
    private volatile bool _liveResultSent;

    /// <summary>Whether a live result (not a replay) was sent and flushed on the session.</summary>
    public bool LiveResultSent => _liveResultSent;

    /// <summary>Whether frames were sent since the last flush.</summary>
    public bool HasUnflushed => _unflushed > 0;

    /// <summary>Sends one frame; flushes when <see cref="MaxFramesPerFlush"/> frames are unflushed.</summary>
    public ValueTask SendAsync(WorkerToServer frame)
    {
        var pending = transport.SendAsync(frame, sessionEnd);
        if (!pending.IsCompletedSuccessfully)
        {
            return SendSlowAsync(pending);
        }

        return ++_unflushed < MaxFramesPerFlush ? default : FlushAsync();
    }

    /// <summary>Flushes every frame sent so far, then counts them as sent.</summary>
    public ValueTask FlushAsync()
    {
        var pending = transport.FlushAsync(sessionEnd);
        if (!pending.IsCompletedSuccessfully)
        {
            return FlushSlowAsync(pending);
        }

        Confirm();
        return default;
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
        try
        {
            await pending.AsTask().WaitAsync(_timeout, _time, sessionEnd).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw MissedDeadline("send", ex);
        }

        if (++_unflushed >= MaxFramesPerFlush)
        {
            await FlushAsync().ConfigureAwait(false);
        }
    }

    private async ValueTask FlushSlowAsync(ValueTask pending)
    {
        try
        {
            await pending.AsTask().WaitAsync(_timeout, _time, sessionEnd).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw MissedDeadline("flush", ex);
        }

        Confirm();
    }

    private AionWorkerException MissedDeadline(string what, TimeoutException timeout) =>
        new(AionErrorKind.SendTimeout, $"An outbound {what} did not complete within the send timeout of {_timeout.TotalMilliseconds} ms.", innerException: timeout);

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
            runtime.Telemetry.HeartbeatsSent.Add(_unflushedLiveness, runtime.IdentityTag, LivenessKind);
            _unflushedLiveness = 0;
        }

        if (_unflushedProgress.Count > 0)
        {
            runtime.Telemetry.HeartbeatsSent.Add(_unflushedProgress.Count, runtime.IdentityTag, ProgressKind);
            foreach (var (execution, frame) in _unflushedProgress)
            {
                execution.ProgressSent(frame);
            }

            _unflushedProgress.Clear();
        }
    }
}
