using System.Threading.Channels;
using Aion.Worker.Internal.Session;
using Aion.Worker.Internal.Stages;
using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Pipeline;

/// <summary>
/// The pipeline of one run, intact across reconnects: the bounded inbound channel of tasks, the
/// bounded outbound channel of results, progress and liveness frames, and the dispatcher between
/// them. The run controller attaches a <see cref="SessionAdapter"/> after each registration and
/// detaches it when its session ended; at detach the dead session's leftovers are resolved before
/// the next one attaches. Writers never wait on a detached pipeline.
/// </summary>
internal sealed class WorkerPipeline : IAsyncDisposable
{
    private readonly WorkerRuntime _runtime;
    private readonly Channel<OutboundItem> _outbound;
    private readonly Dispatcher _dispatcher;
    private readonly CancellationTokenSource _runEnd = new();
    private CancellationTokenRegistration _shutdownWake;
    private Task _dispatching = Task.CompletedTask;
    private SessionAdapter? _attached;

    public WorkerPipeline(WorkerRuntime runtime, CancellationToken shutdown)
    {
        _runtime = runtime;
        Shutdown = shutdown;
        Inbound = new InboundQueue(runtime.Settings);
        _outbound = Channel.CreateBounded<OutboundItem>(new BoundedChannelOptions(Math.Max(256, runtime.Settings.MaxConcurrency * 4))
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,

            // The write pump waiting for work resumes on the thread that queued it (no wake-up hop per
            // result). The other direction — a writer that waited for space — never resumes on the
            // pump: the slow write paths below yield first.
            AllowSynchronousContinuations = true,
        });
        Stages = runtime.Stages.CreateRunStages(runtime.StageContext());
        Starter = new TaskStarter(runtime, this, enabled: !Stages.DecidesAdmission);
        _dispatcher = new Dispatcher(runtime, this, Stages);
    }

    /// <summary>Starts queued tasks from the read pump and finishing activities (not with admission stages).</summary>
    public TaskStarter Starter { get; }

    /// <summary>The stages users composed, created for this run.</summary>
    public RunStages Stages { get; }

    /// <summary>Graceful shutdown of the run.</summary>
    public CancellationToken Shutdown { get; }

    /// <summary>Tasks received and not started.</summary>
    public InboundQueue Inbound { get; }

    /// <summary>What the attached session's write pump sends.</summary>
    public ChannelReader<OutboundItem> Outbound => _outbound.Reader;

    /// <summary>The session the pipeline serves now, or <see langword="null"/> between sessions.</summary>
    public SessionAdapter? Attached => Volatile.Read(ref _attached);

    /// <summary>Starts the dispatcher and routes activities' outcomes here.</summary>
    public void Start()
    {
        _runtime.Pipeline = this;
        _shutdownWake = Shutdown.UnsafeRegister(static state => ((WorkerPipeline)state!).Wake(), this);
        _dispatching = Task.Run(() => _dispatcher.RunAsync(_runEnd.Token), CancellationToken.None);
    }

    /// <summary>Serves <paramref name="session"/>: it becomes the target of every writer, then its pumps start with the replay.</summary>
    public void Attach(SessionAdapter session)
    {
        _runtime.Tracker.BeginSession(session.Id);
        Inbound.ReadPast(false);
        Volatile.Write(ref _attached, session);

        // Taken after attaching: an outcome recorded later is queued for this session instead.
        session.Start(_runtime.Tracker.Snapshot());
        Wake();
    }

    /// <summary>Called when <paramref name="session"/> ended: writers stop queuing for it, and the dispatcher stops serving it.</summary>
    public void Unpublish(SessionAdapter session)
    {
        Interlocked.CompareExchange(ref _attached, null, session);
        Wake();
    }

    /// <summary>
    /// Resolves what the ended <paramref name="session"/> left, before the next session attaches: its
    /// queued tasks are purged (never started; the engine re-dispatches them) and its queued frames
    /// dropped (results are in the tracker and replayed, the latest progress of each running activity
    /// is kept, liveness is regenerated). Its pumps have stopped.
    /// </summary>
    public void Detach(SessionAdapter session)
    {
        Unpublish(session);
        Inbound.Purge(_runtime.InFlight.Discard);
        while (_outbound.Reader.TryRead(out _))
        {
        }
    }

    /// <summary>Queues a recorded result for the attached session; does nothing between sessions (the replay sends it).</summary>
    public ValueTask EnqueueResultAsync(TrackedResult entry)
    {
        if (Attached is not { } session)
        {
            return default;
        }

        var item = OutboundItem.Result(entry, session.Id);
        return _outbound.Writer.TryWrite(item) ? default : WriteUntilSessionEndsAsync(item, session.EndToken);
    }

    /// <summary>Queues a progress heartbeat for the attached session; does nothing between sessions (it stays the activity's latest).</summary>
    public ValueTask EnqueueProgressAsync(ActivityExecution execution, WorkerToServer frame, CancellationToken cancellationToken)
    {
        if (Attached is not { } session)
        {
            return default;
        }

        var item = OutboundItem.Progress(execution, frame, session.Id);
        return _outbound.Writer.TryWrite(item) ? default : WriteProgressAsync(item, session.EndToken, cancellationToken);
    }

    /// <summary>Wakes the write pump of <paramref name="session"/> for a liveness round (if the channel is full, the pump is busy and sees the round due).</summary>
    public void Poke(SessionAdapter session) => _outbound.Writer.TryWrite(OutboundItem.Poke(session.Id));

    /// <summary>Queues a control item of the finishing <paramref name="session"/> behind everything queued before it.</summary>
    public ValueTask WriteControlAsync(OutboundItem item, SessionAdapter session)
    {
        var write = _outbound.Writer.WriteAsync(item, session.EndToken);
        return write.IsCompletedSuccessfully ? write : YieldAfterAsync(write);
    }

    /// <summary>Wakes the dispatcher.</summary>
    public void Wake() => _dispatcher.Wake();

    /// <summary>Whether the dispatcher waits for an ack to free room in the tracker (the stall clock runs).</summary>
    public bool AwaitingAck => _dispatcher.AwaitingAck;

    /// <summary>An ack removed a tracked result: wakes the dispatcher if it waits for room in the tracker.</summary>
    public void AckRemoved() => _dispatcher.AckRemoved();

    /// <summary>Ends the run's pipeline: the dispatcher stops, both channels complete, and whatever they still hold is resolved.</summary>
    public async ValueTask DisposeAsync()
    {
        if (ReferenceEquals(_runtime.Pipeline, this))
        {
            _runtime.Pipeline = null;
        }

        _runEnd.Cancel();
        Wake();
        await _dispatching.ConfigureAwait(false);
        _dispatcher.Dispose();
        await _shutdownWake.DisposeAsync().ConfigureAwait(false);
        Inbound.Complete();
        _outbound.Writer.TryComplete();
        Inbound.Purge(_runtime.InFlight.Discard);
        while (_outbound.Reader.TryRead(out _))
        {
        }

        _runEnd.Dispose();
        Stages.EndRun(_runtime.Log);
    }

    private static async ValueTask YieldAfterAsync(ValueTask write)
    {
        await write.ConfigureAwait(false);
        await Task.Yield();
    }

    private async ValueTask WriteUntilSessionEndsAsync(OutboundItem item, CancellationToken sessionEnd)
    {
        try
        {
            await _outbound.Writer.WriteAsync(item, sessionEnd).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException or ObjectDisposedException)
        {
            // The session ended; a result stays tracked and is replayed on the next session.
        }

        // Room was made by the write pump, which runs this continuation: leave its thread before the activity goes on.
        await Task.Yield();
    }

    private async ValueTask WriteProgressAsync(OutboundItem item, CancellationToken sessionEnd, CancellationToken cancellationToken)
    {
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(sessionEnd, cancellationToken);
            await _outbound.Writer.WriteAsync(item, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or ObjectDisposedException)
        {
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The session ended; the progress stays the activity's latest for the next session.
        }

        // As above: the activity's code never runs on the write pump.
        await Task.Yield();
    }
}
