using System.Runtime.CompilerServices;
using Aion.Worker.Internal.Pipeline;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// Writes the session: the replay first (every tracked result, before any new task starts), then the
/// latest unsent progress of running activities, then the run's outbound channel in order, with a
/// liveness round before the next frame whenever one is due. Flushes when the channel runs empty.
/// Results are deduplicated by the tracker's per-session marks; entries queued for another session
/// are skipped. The first failed send ends the session.
/// </summary>
internal sealed class SessionWritePump(SessionAdapter session, WorkerRuntime runtime, WorkerPipeline pipeline, TrackedResult[] replay)
{
    private readonly FrameSender _sender = session.Sender;
    private readonly LivenessPump _liveness = session.Liveness;
    private TrackedResult[] _replay = replay;

    public async Task RunAsync()
    {
        var sessionEnd = session.EndToken;
        try
        {
            await ReplayAsync().ConfigureAwait(false);
            session.MarkReplayed();

            foreach (var (execution, progress) in runtime.InFlight.PendingProgress())
            {
                await _sender.SendAsync(progress).ConfigureAwait(false);
                _sender.SentProgress(execution, progress);
            }

            var outbound = pipeline.Outbound;
            do
            {
                while (outbound.TryRead(out var item))
                {
                    if (_liveness.IsDue)
                    {
                        await _liveness.SendRoundAsync(_sender).ConfigureAwait(false);
                    }

                    // An entry queued for a session that ended: its result is in the tracker (replayed),
                    // its progress is the activity's latest (sent above), liveness is regenerated.
                    if (item.Session == session.Id && !await ProcessAsync(item).ConfigureAwait(false))
                    {
                        return;
                    }
                }

                // Nothing more to send right away: flush what was sent.
                if (_sender.HasUnflushed)
                {
                    await _sender.FlushAsync().ConfigureAwait(false);
                }
            }
            // The wait takes no token (a bounded channel allocates for every cancellable wait): the
            // session's end pokes the channel instead, and the pump stops here.
            while (!sessionEnd.IsCancellationRequested && await WaitForWorkAsync(outbound).ConfigureAwait(false));
        }
        catch (Exception) when (sessionEnd.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            session.EndWith(ex);
        }
    }

    /// <summary>
    /// Waits for the next entry. The channel resumes the pump on the thread that queued the entry: alone
    /// (no other activity running, the read pump not in the middle of buffered frames) the pump sends
    /// and flushes it right there, with no wake-up hop — the lowest latency; while other activities run
    /// or more tasks are being read (inline handlers finish one after another on the read pump), it
    /// moves to a work item of its own so their results gather behind this one and leave in one flush.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> WaitForWorkAsync(System.Threading.Channels.ChannelReader<OutboundItem> outbound)
    {
        var wait = outbound.WaitToReadAsync();
        if (wait.IsCompleted)
        {
            return await wait.ConfigureAwait(false);
        }

        var more = await wait.ConfigureAwait(false);
        if (more && (runtime.InFlight.Running > 1 || session.ReadingBatch))
        {
            await Task.Yield();
        }

        return more;
    }

    private async Task ReplayAsync()
    {
        var entries = _replay;

        // The pump keeps no reference to the snapshot: acked entries can be collected during a long session.
        _replay = [];
        if (entries.Length > 0)
        {
            runtime.Log.Replaying(runtime.Settings.Identity, entries.Length, session.Id);
        }

        foreach (var entry in entries)
        {
            if (_liveness.IsDue)
            {
                await _liveness.SendRoundAsync(_sender).ConfigureAwait(false);
            }

            if (runtime.Tracker.NeedsSending(entry, session.Id))
            {
                // Marked before the write: the engine may ack before the write returns.
                runtime.Tracker.MarkSent(entry, session.Id);
                await _sender.SendAsync(entry.Frame).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends one entry; false when it closed the stream (nothing more is sent).</summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<bool> ProcessAsync(OutboundItem item)
    {
        switch (item.Kind)
        {
            case OutboundItem.ItemKind.Result:
                var entry = (TrackedResult)item.Target!;
                if (runtime.Tracker.NeedsSending(entry, session.Id))
                {
                    // Marked before the write: the engine may ack before the write returns. A failed
                    // write ends the session, and the next session replays the entry whatever its mark.
                    var current = runtime.Tracker.MarkSent(entry, session.Id);
                    await _sender.SendAsync(entry.Frame).ConfigureAwait(false);
                    if (current)
                    {
                        _sender.SentLiveResult();
                    }
                }

                return true;
            case OutboundItem.ItemKind.Progress:
                await _sender.SendAsync(item.Frame!).ConfigureAwait(false);
                _sender.SentProgress((ActivityExecution)item.Target!, item.Frame!);
                return true;
            case OutboundItem.ItemKind.Flush:
                await _sender.FlushAsync().ConfigureAwait(false);
                ((TaskCompletionSource)item.Target!).TrySetResult();
                return true;
            case OutboundItem.ItemKind.CloseAfterDrain:
            case OutboundItem.ItemKind.CloseAfterShutdown:
                await CloseAsync(item.Kind == OutboundItem.ItemKind.CloseAfterDrain ? SessionEndKind.Drain : SessionEndKind.Shutdown).ConfigureAwait(false);
                return false;
            default:
                // A poke: the liveness round, if due, went out before this entry.
                return true;
        }
    }

    /// <summary>Closes the worker's side of the stream under the send deadline and ends the session as <paramref name="kind"/>.</summary>
    private async Task CloseAsync(SessionEndKind kind)
    {
        var sessionEnd = session.EndToken;
        session.Closing(kind);
        try
        {
            await _sender.CloseAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !sessionEnd.IsCancellationRequested)
        {
            // Every result was already sent; a failed close changes nothing about what was reported.
        }

        session.TryEnd(kind, null);
    }
}
