using System.Threading.Channels;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory.Internal;
using Grpc.Core;

namespace Aion.Worker.Transport.InMemory;

/// <summary>The engine's view of one worker stream: what arrived on it, and controls to script it.</summary>
/// <remarks>
/// Once the stream ended, the session keeps only its summary — number, metadata, registration, worker
/// id, window, how it ended, counts, and the frames recorded when <see cref="InMemoryEngineOptions.RecordFrames"/>
/// is on — and lets go of its stream and queues: frames the worker never read, frames queued behind the
/// end, withheld acks. So an engine that served many sessions holds only what is live.
/// </remarks>
public sealed class EngineSession
{
    private readonly InMemoryEngine _engine;
    private readonly bool _inMemory;
    private IEngineConnection? _stream;
    private readonly Channel<Outgoing> _outgoing = Channel.CreateUnbounded<Outgoing>(new UnboundedChannelOptions { SingleReader = true });
    private readonly TaskCompletionSource<Status> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<ReceivedResult> _results = [];
    private readonly List<ReceivedHeartbeat> _heartbeats = [];
    private readonly List<ReceivedResult> _pendingAcks = [];
    private volatile bool _ended;
    private int _resultCount;
    private int _heartbeatCount;

    internal EngineSession(InMemoryEngine engine, IEngineConnection stream, int number, InMemoryPipe? pipe)
    {
        _engine = engine;
        _stream = stream;
        Metadata = stream.Metadata;
        Number = number;
        Pipe = pipe;
        _inMemory = pipe is not null;
    }

    /// <summary>This stream's place among every stream the engine served (1-based).</summary>
    public int Number { get; }

    /// <summary>The call metadata the worker sent.</summary>
    public WorkerSessionMetadata Metadata { get; }

    /// <summary>The worker's registration frame, once read.</summary>
    public RegisterWorker? Registration { get; private set; }

    /// <summary>Whether the engine acked the registration.</summary>
    public bool IsAccepted { get; private set; }

    /// <summary>The worker id the engine acked with.</summary>
    public ulong WorkerId { get; private set; }

    /// <summary>The heartbeat window the engine acked with.</summary>
    public TimeSpan HeartbeatWindow { get; private set; }

    /// <summary>Whether the stream is still open.</summary>
    public bool IsOpen => !_ended;

    /// <summary>Whether the worker closed its side of the stream.</summary>
    public bool WorkerClosed { get; private set; }

    /// <summary>Completes with the status the stream ended with.</summary>
    public Task<Status> Completion => _completion.Task;

    /// <summary>How many results arrived on this stream (counted whether or not frames are recorded).</summary>
    public int ResultCount => Volatile.Read(ref _resultCount);

    /// <summary>How many heartbeats arrived on this stream (counted whether or not frames are recorded).</summary>
    public int HeartbeatCount => Volatile.Read(ref _heartbeatCount);

    /// <summary>Results received on this stream, in order.</summary>
    public IReadOnlyList<ReceivedResult> Results
    {
        get
        {
            lock (_engine.Gate)
            {
                return [.. _results];
            }
        }
    }

    /// <summary>Heartbeats received on this stream, in order.</summary>
    public IReadOnlyList<ReceivedHeartbeat> Heartbeats
    {
        get
        {
            lock (_engine.Gate)
            {
                return [.. _heartbeats];
            }
        }
    }

    /// <summary>When set (in-memory transport only), the worker's sends never complete, as if the engine stopped reading.</summary>
    /// <remarks>Setting it once the stream ended changes nothing: the session no longer holds the stream.</remarks>
    public bool StallWorkerSends
    {
        get => Pipe?.StallWorkerSends ?? false;
        set
        {
            if (!_inMemory)
            {
                throw new NotSupportedException("Only the in-memory transport can stall sends.");
            }

            if (Pipe is { } pipe)
            {
                pipe.StallWorkerSends = value;
            }
        }
    }

    /// <summary>Frames the engine wrote that the worker has not read yet (in-memory transport only; 0 once the stream ended).</summary>
    public int FramesUnreadByWorker => Pipe?.FramesUnreadByWorker ?? 0;

    internal InMemoryPipe? Pipe { get; private set; }

    /// <summary>Marks the stream over (under the engine's lock), before its completion is published.</summary>
    internal void MarkEnded() => _ended = true;

    /// <summary>Writes any frame to the worker (malformed ones included).</summary>
    /// <param name="frame">The frame.</param>
    /// <remarks>Once the stream ended the frame is dropped, as on a closed stream.</remarks>
    public void Send(ServerToWorker frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        _outgoing.Writer.TryWrite(new Outgoing(frame, null));
    }

    /// <summary>Writes a frame crafted as bytes (e.g. one with only unknown fields).</summary>
    /// <param name="bytes">The encoded <see cref="ServerToWorker"/>.</param>
    public void SendBytes(byte[] bytes) => Send(ServerToWorker.Parser.ParseFrom(bytes));

    /// <summary>Writes a task frame as is, without following it (any field values).</summary>
    /// <param name="task">The task.</param>
    public void SendTask(ActivityTask task) => Send(new ServerToWorker { Task = task });

    /// <summary>Asks the worker to drain.</summary>
    public void Drain() => Send(new ServerToWorker { Drain = new DrainRequest() });

    /// <summary>Writes a ResultAck for (workflow id, position).</summary>
    /// <param name="workflowId">The workflow id.</param>
    /// <param name="position">The sequence position.</param>
    public void Ack(string workflowId, ulong position) => Send(new ServerToWorker
    {
        ResultAck = new ResultAck { WorkflowId = new WorkflowId { Uuid = workflowId }, ActivityId = new ActivityId { SequencePosition = position } },
    });

    /// <summary>Acks every result held back by <see cref="AckMode.Withhold"/> (nothing once the stream ended: those acks can no longer be sent).</summary>
    public void AckPending()
    {
        List<ReceivedResult> pending;
        lock (_engine.Gate)
        {
            pending = [.. _pendingAcks];
            _pendingAcks.Clear();
            foreach (var received in pending)
            {
                received.Acked = true;
            }
        }

        foreach (var received in pending)
        {
            SendAck(received.Result);
        }
    }

    /// <summary>Ends the stream with status OK after the frames already queued.</summary>
    public void End() => Fail(Status.DefaultSuccess);

    /// <summary>Ends the stream with <paramref name="status"/> after the frames already queued.</summary>
    /// <param name="status">The status.</param>
    public void Fail(Status status) => _outgoing.Writer.TryWrite(new Outgoing(null, status));

    /// <inheritdoc />
    public override string ToString() => $"EngineSession #{Number} worker {WorkerId} ({(IsOpen ? "open" : "ended")})";

    internal async Task<Status> RunAsync(ConnectionScript script, CancellationToken cancellationToken)
    {
        Status status;
        try
        {
            status = await ServeAsync(script, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            status = new Status(StatusCode.Cancelled, "The engine stopped.");
        }
        catch (Exception ex) when (ex is IOException or RpcException or ObjectDisposedException)
        {
            // The worker reset or abandoned the stream (e.g. it gave up waiting for the ack).
            WorkerClosed = true;
            status = new Status(StatusCode.Cancelled, $"the worker went away: {ex.Message}");
        }
        catch (Exception ex)
        {
            status = new Status(StatusCode.Internal, $"engine failure: {ex.Message}");
        }

        _engine.SessionEnded(this);
        Release();
        _completion.TrySetResult(status);
        _engine.Notify();
        return status;
    }

    /// <summary>Keeps the summary, lets go of the stream and of every queue: the session is over.</summary>
    private void Release()
    {
        _outgoing.Writer.TryComplete();
        while (_outgoing.Reader.TryRead(out _))
        {
        }

        lock (_engine.Gate)
        {
            _pendingAcks.Clear();
        }

        // The worker may still read what was written before the end: the pipe lives on with the worker's side only.
        _stream = null;
        Pipe = null;
    }

    private async Task<Status> ServeAsync(ConnectionScript script, CancellationToken cancellationToken)
    {
        if (script.Kind == ConnectionScriptKind.FailConnect)
        {
            return script.Status;
        }

        var stream = _stream!;
        var first = await stream.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (first is null)
        {
            WorkerClosed = true;
            return Status.DefaultSuccess;
        }

        if (first.MessageCase != WorkerToServer.MessageOneofCase.Register)
        {
            return new Status(StatusCode.InvalidArgument, "the first frame must be a registration");
        }

        lock (_engine.Gate)
        {
            Registration = first.Register;
        }

        _engine.Notify();
        switch (script.Kind)
        {
            case ConnectionScriptKind.Refuse:
                if (script.AfterHeaders)
                {
                    await stream.SendHeadersAsync(cancellationToken).ConfigureAwait(false);
                }

                return script.Status;
            case ConnectionScriptKind.NeverAck:
                await DrainWorkerAsync(stream, cancellationToken).ConfigureAwait(false);
                return Status.DefaultSuccess;
            case ConnectionScriptKind.SendFirst:
                await stream.WriteAsync(script.FirstFrame!, cancellationToken).ConfigureAwait(false);
                return await PumpAsync(stream, cancellationToken).ConfigureAwait(false);
        }

        var ack = new RegisterAck
        {
            WorkerId = script.WorkerId ?? _engine.NextWorkerId(),
            Namespace = script.Namespace ?? Metadata.NamespacesHeader,
            HeartbeatWindowMs = (ulong)(script.HeartbeatWindow ?? _engine.Options.HeartbeatWindow).TotalMilliseconds,
        };
        await stream.WriteAsync(new ServerToWorker { RegisterAck = ack }, cancellationToken).ConfigureAwait(false);
        lock (_engine.Gate)
        {
            WorkerId = ack.WorkerId;
            HeartbeatWindow = TimeSpan.FromMilliseconds(ack.HeartbeatWindowMs);
            IsAccepted = true;
        }

        _engine.SessionAccepted(this);
        return await PumpAsync(stream, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads the worker and writes scripted frames until the script ends the stream or the worker leaves.</summary>
    private async Task<Status> PumpAsync(IEngineConnection stream, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var reading = ReadWorkerAsync(stream, stop.Token);

        // The worker closing or abandoning the stream queues a marker behind the frames already
        // waiting, so the pump needs no per-frame race between the two (Task.WhenAny allocates).
        _ = reading.ContinueWith(
            static (_, state) => ((EngineSession)state!)._outgoing.Writer.TryWrite(Outgoing.WorkerGone),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        try
        {
            var reader = _outgoing.Reader;
            while (true)
            {
                if (!reader.TryRead(out var outgoing))
                {
                    outgoing = await reader.ReadAsync(stop.Token).ConfigureAwait(false);
                }

                if (outgoing.IsWorkerGone)
                {
                    await reading.ConfigureAwait(false);
                    return Status.DefaultSuccess;
                }

                if (outgoing.End is { } end)
                {
                    return end;
                }

                await stream.WriteAsync(outgoing.Frame!, stop.Token).ConfigureAwait(false);
            }
        }
        finally
        {
            stop.Cancel();
            try
            {
                await reading.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // The stream is over either way.
            }
        }
    }

    private async Task ReadWorkerAsync(IEngineConnection stream, CancellationToken cancellationToken)
    {
        try
        {
            while (true)
            {
                var frame = await stream.ReadAsync(cancellationToken).ConfigureAwait(false);
                if (frame is null)
                {
                    WorkerClosed = true;
                    return;
                }

                switch (frame.MessageCase)
                {
                    case WorkerToServer.MessageOneofCase.Result:
                        Interlocked.Increment(ref _resultCount);
                        OnResult(frame.Result);
                        break;
                    case WorkerToServer.MessageOneofCase.Heartbeat:
                        Interlocked.Increment(ref _heartbeatCount);
                        _engine.OnHeartbeat(this, frame.Heartbeat, _heartbeats);
                        break;
                    default:
                        _engine.OnUnexpected(frame);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (RpcException)
        {
            // The worker went away.
        }
    }

    private void OnResult(ActivityResult result)
    {
        var received = _engine.OnResult(this, result, _results, out var completed);
        var ack = _engine.DecideAck(result);
        if (ack == AckMode.Auto)
        {
            received.Acked = true;
            SendAck(result);
        }
        else if (ack == AckMode.Withhold)
        {
            lock (_engine.Gate)
            {
                _pendingAcks.Add(received);
            }
        }

        // Observers (tests, drivers) see the result after its ack was queued, so a script that
        // ends the stream next never overtakes the ack.
        _engine.Published(received, completed);
    }

    private void SendAck(ActivityResult result) => Send(new ServerToWorker
    {
        ResultAck = new ResultAck { WorkflowId = result.WorkflowId, ActivityId = result.ActivityId },
    });

    private async Task DrainWorkerAsync(IEngineConnection stream, CancellationToken cancellationToken)
    {
        while (await stream.ReadAsync(cancellationToken).ConfigureAwait(false) is not null)
        {
        }

        WorkerClosed = true;
    }

    private readonly record struct Outgoing(ServerToWorker? Frame, Status? End, bool IsWorkerGone = false)
    {
        public static Outgoing WorkerGone => new(null, null, IsWorkerGone: true);
    }
}
