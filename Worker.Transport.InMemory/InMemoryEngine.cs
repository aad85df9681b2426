using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;
using Aion.Worker.Transport.InMemory.Internal;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Transport.InMemory;

/// <summary>
/// A scriptable Aion engine in the test process: accepts or refuses registrations, pushes tasks
/// (malformed ones included), observes results and heartbeats, acks, withholds or drops acks,
/// drains, ends streams, cancels activities — and, like the real engine, fails in-flight work as
/// lost when a stream ends and re-dispatches it with attempt + 1 on the next session.
/// </summary>
/// <remarks>The engine uses no timers, so it is deterministic under a fake <see cref="TimeProvider"/>.</remarks>
public sealed class InMemoryEngine : IDisposable
{
    private readonly Queue<ConnectionScript> _scripts = new();
    private readonly List<EngineSession> _sessions = [];
    private readonly List<RegisterWorker> _registrations = [];
    private readonly List<ReceivedResult> _results = [];
    private readonly List<ReceivedHeartbeat> _heartbeats = [];
    private readonly List<WorkerToServer> _unexpected = [];
    private readonly Dictionary<(string, ulong), DispatchedTask> _open = [];
    private readonly Dictionary<(string, ulong), EngineSession> _inFlightOn = [];
    private readonly Queue<DispatchedTask> _pending = new();
    private readonly CancellationTokenSource _stopped = new();
    private TaskCompletionSource? _changed;
    private ulong _lastWorkerId;
    private ulong _lastPosition;
    private long _sequence;
    private int _connectAttempts;
    private int _disposed;

    /// <summary>Creates an engine.</summary>
    /// <param name="options">Its settings; default <see cref="InMemoryEngineOptions"/>.</param>
    public InMemoryEngine(InMemoryEngineOptions? options = null)
    {
        Options = options ?? new InMemoryEngineOptions();
        _lastWorkerId = Options.FirstWorkerId - 1;
        AckMode = Options.AckMode;
    }

    /// <summary>The engine's settings.</summary>
    public InMemoryEngineOptions Options { get; }

    /// <summary>How results are acked from now on.</summary>
    public AckMode AckMode { get; set; }

    /// <summary>Decides per result whether its ack is sent (false drops it, as a lost ack); applies in <see cref="AckMode.Auto"/>.</summary>
    public Func<ActivityResult, bool>? AckFilter { get; set; }

    /// <summary>Whether in-flight tasks of a stream that ends are re-dispatched with attempt + 1 on the next session.</summary>
    public bool RedispatchLostTasks { get; set; } = true;

    /// <summary>Called for every result received (after it is recorded), e.g. to count completions without keeping history.</summary>
    public Action<ReceivedResult>? OnResultReceived { get; set; }

    internal Lock Gate { get; } = new();

    /// <summary>Every connection attempt, including failed connects.</summary>
    public int ConnectAttempts => Volatile.Read(ref _connectAttempts);

    /// <summary>Every stream the engine served, in order.</summary>
    public IReadOnlyList<EngineSession> Sessions
    {
        get
        {
            lock (Gate)
            {
                return [.. _sessions];
            }
        }
    }

    /// <summary>The streams whose registration the engine acked, in order.</summary>
    public IReadOnlyList<EngineSession> AcceptedSessions
    {
        get
        {
            lock (Gate)
            {
                return _sessions.Where(s => s.IsAccepted).ToArray();
            }
        }
    }

    /// <summary>The latest accepted stream that is still open, or <see langword="null"/>.</summary>
    public EngineSession? CurrentSession
    {
        get
        {
            lock (Gate)
            {
                return LiveSession();
            }
        }
    }

    /// <summary>Every registration frame received, in order.</summary>
    public IReadOnlyList<RegisterWorker> Registrations
    {
        get
        {
            lock (Gate)
            {
                return [.. _registrations];
            }
        }
    }

    /// <summary>Every result received, on any stream, in order (when <see cref="InMemoryEngineOptions.RecordFrames"/>).</summary>
    public IReadOnlyList<ReceivedResult> Results
    {
        get
        {
            lock (Gate)
            {
                return [.. _results];
            }
        }
    }

    /// <summary>Every heartbeat received, on any stream, in order (when <see cref="InMemoryEngineOptions.RecordFrames"/>).</summary>
    public IReadOnlyList<ReceivedHeartbeat> Heartbeats
    {
        get
        {
            lock (Gate)
            {
                return [.. _heartbeats];
            }
        }
    }

    /// <summary>Worker frames that were neither results nor heartbeats after the registration.</summary>
    public IReadOnlyList<WorkerToServer> UnexpectedFrames
    {
        get
        {
            lock (Gate)
            {
                return [.. _unexpected];
            }
        }
    }

    /// <summary>Tasks dispatched and not yet answered by a result.</summary>
    public int OpenTasks
    {
        get
        {
            lock (Gate)
            {
                return _open.Count;
            }
        }
    }

    /// <summary>A transport to this engine, for <see cref="AionWorkerBuilder.UseTransport"/>.</summary>
    /// <returns>The transport.</returns>
    public IWorkerTransport CreateTransport() => new InMemoryTransport(this);

    /// <summary>Scripts the next connection attempts, in order; unscripted attempts are accepted.</summary>
    /// <param name="scripts">One script per attempt.</param>
    public void Script(params ConnectionScript[] scripts)
    {
        lock (Gate)
        {
            foreach (var script in scripts)
            {
                _scripts.Enqueue(script);
            }
        }
    }

    /// <summary>Dispatches a task with a JSON-encoded input, following it to its result.</summary>
    /// <typeparam name="T">The input type.</typeparam>
    /// <param name="activityType">The activity type.</param>
    /// <param name="input">The input, encoded with the reflection-based <see cref="JsonPayloadCodec.Default"/>.</param>
    /// <param name="options">Ids, attempt, run id and labels; defaults are generated.</param>
    /// <returns>The dispatched task.</returns>
    [RequiresUnreferencedCode("Encodes the input with reflection-based JSON. Use the overload that takes a JsonTypeInfo in trimmed or native AOT apps.")]
    [RequiresDynamicCode("Encodes the input with reflection-based JSON. Use the overload that takes a JsonTypeInfo in trimmed or native AOT apps.")]
    public DispatchedTask Dispatch<T>(string activityType, T input, DispatchOptions? options = null) =>
        Dispatch(activityType, JsonPayloadCodec.Default.Encode(input), options);

    /// <summary>Dispatches a task whose input is encoded as JSON with the given metadata (trimming- and native-AOT-safe), following it to its result.</summary>
    /// <typeparam name="T">The input type.</typeparam>
    /// <param name="activityType">The activity type.</param>
    /// <param name="input">The input.</param>
    /// <param name="inputType">The input's JSON metadata, e.g. <c>MyJsonContext.Default.ChargeRequest</c>.</param>
    /// <param name="options">Ids, attempt, run id and labels; defaults are generated.</param>
    /// <returns>The dispatched task.</returns>
    public DispatchedTask Dispatch<T>(string activityType, T input, JsonTypeInfo<T> inputType, DispatchOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputType);
        var json = new Payload { ContentType = JsonPayloadCodec.JsonContentType, Bytes = ByteString.CopyFrom(JsonSerializer.SerializeToUtf8Bytes(input, inputType)) };
        return Dispatch(activityType, json, options);
    }

    /// <summary>Dispatches a task whose input is the given JSON text.</summary>
    /// <param name="activityType">The activity type.</param>
    /// <param name="json">The input JSON.</param>
    /// <param name="options">Ids, attempt, run id and labels.</param>
    /// <returns>The dispatched task.</returns>
    public DispatchedTask DispatchJson(string activityType, string json, DispatchOptions? options = null) =>
        Dispatch(activityType, new Payload { ContentType = JsonPayloadCodec.JsonContentType, Bytes = ByteString.CopyFrom(json, Encoding.UTF8) }, options);

    /// <summary>Dispatches a task with a raw input payload to the current session (or the next one), following it to its result.</summary>
    /// <param name="activityType">The activity type.</param>
    /// <param name="input">The input payload.</param>
    /// <param name="options">Ids, attempt, run id and labels.</param>
    /// <returns>The dispatched task.</returns>
    public DispatchedTask Dispatch(string activityType, Payload input, DispatchOptions? options = null)
    {
        options ??= DispatchOptions.Default;
        var task = options.CreateTask(activityType, input, ref _lastPosition);

        var dispatched = new DispatchedTask(task);
        EngineSession? target;
        lock (Gate)
        {
            _open[(task.WorkflowId.Uuid, task.ActivityId.SequencePosition)] = dispatched;
            target = LiveSession();
            if (target is null)
            {
                _pending.Enqueue(dispatched);
            }
            else
            {
                MarkDispatched(dispatched, target);
            }
        }

        target?.Send(new ServerToWorker { Task = task });
        return dispatched;
    }

    /// <summary>Asks the worker on the current session to cancel one running activity (every attempt).</summary>
    /// <param name="workflowId">The workflow id.</param>
    /// <param name="position">The sequence position.</param>
    /// <param name="attempt">Only this attempt, or every running attempt.</param>
    /// <returns>Whether a session took the request.</returns>
    public bool CancelActivity(string workflowId, ulong position, uint? attempt = null) =>
        CurrentSession?.Pipe?.TryCancel(new ActivityCancelRequest(workflowId, position, attempt)) ?? false;

    /// <summary>Waits until <paramref name="condition"/> holds; it is checked after every engine event.</summary>
    /// <param name="condition">The condition, evaluated under the engine's lock.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes once the condition held.</returns>
    public async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(condition);
        while (true)
        {
            Task changed;
            lock (Gate)
            {
                if (condition())
                {
                    return;
                }

                changed = (_changed ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await changed.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Waits until the <paramref name="number"/>-th accepted session exists (1-based) and returns it.</summary>
    /// <param name="number">Which accepted session.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>The session.</returns>
    public async Task<EngineSession> WaitForSessionAsync(int number, CancellationToken cancellationToken = default)
    {
        EngineSession? found = null;
        await WaitUntilAsync(() => (found = _sessions.Where(s => s.IsAccepted).Skip(number - 1).FirstOrDefault()) is not null, cancellationToken).ConfigureAwait(false);
        return found!;
    }

    /// <summary>Serves one worker stream from any transport until it ends; returns the status the call must end with.</summary>
    /// <param name="stream">The engine's side of the stream.</param>
    /// <param name="cancellationToken">Stops serving (the call ends Cancelled).</param>
    /// <returns>The final status of the call.</returns>
    /// <exception cref="ObjectDisposedException">The engine was disposed.</exception>
    public Task<Status> ServeAsync(IEngineConnection stream, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _connectAttempts);
        return Serve(stream, TakeScript(), null, cancellationToken);
    }

    /// <summary>Stops every open stream (status Cancelled); streams served later end at once.</summary>
    public void Stop()
    {
        if (Volatile.Read(ref _disposed) != 0)
        {
            return;
        }

        try
        {
            _stopped.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Disposed meanwhile: Dispose stopped every stream.
        }
    }

    /// <summary>Stops every open stream (as <see cref="Stop"/>) and releases the engine; it serves no stream after this.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _stopped.Cancel();
            _stopped.Dispose();
        }
    }

    internal Task<Status> Serve(IEngineConnection stream, ConnectionScript script, InMemoryPipe? pipe, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        EngineSession session;
        lock (Gate)
        {
            session = new EngineSession(this, stream, _sessions.Count + 1, pipe);
            _sessions.Add(session);
        }

        Notify();
        var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stopped.Token);
        var run = session.RunAsync(script, linked.Token);
        _ = run.ContinueWith(_ => linked.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return run;
    }

    internal ConnectionScript TakeScript()
    {
        lock (Gate)
        {
            return _scripts.Count > 0 ? _scripts.Dequeue() : ConnectionScript.Accept();
        }
    }

    internal void CountConnectAttempt() => Interlocked.Increment(ref _connectAttempts);

    internal ulong NextWorkerId()
    {
        lock (Gate)
        {
            return ++_lastWorkerId;
        }
    }

    internal void Notify()
    {
        TaskCompletionSource? changed;
        lock (Gate)
        {
            changed = _changed;
            _changed = null;
        }

        changed?.TrySetResult();
    }

    internal void SessionAccepted(EngineSession session)
    {
        lock (Gate)
        {
            _registrations.Add(session.Registration!);
        }

        SendPending(session);
        Notify();
    }

    /// <summary>Sends every pending task (lost or dispatched while no session was live) to <paramref name="session"/>, in order.</summary>
    private void SendPending(EngineSession session)
    {
        List<DispatchedTask> redispatch = [];
        lock (Gate)
        {
            while (_pending.TryDequeue(out var task))
            {
                if (!task.IsCompleted)
                {
                    MarkDispatched(task, session);
                    redispatch.Add(task);
                }
            }
        }

        foreach (var task in redispatch)
        {
            session.Send(new ServerToWorker { Task = task.Task });
        }
    }

    internal void SessionEnded(EngineSession session)
    {
        EngineSession? live;
        lock (Gate)
        {
            session.MarkEnded();
            if (session.Registration is not null && !session.IsAccepted)
            {
                _registrations.Add(session.Registration);
            }

            var lost = _inFlightOn.Where(pair => ReferenceEquals(pair.Value, session)).Select(pair => pair.Key).ToList();
            foreach (var key in lost)
            {
                _inFlightOn.Remove(key);
                if (!_open.TryGetValue(key, out var task))
                {
                    continue;
                }

                if (RedispatchLostTasks)
                {
                    // Failed as lost; the next attempt goes to the next session.
                    var next = task.Task.Clone();
                    next.Attempt = task.Attempt + 1;
                    task.Task = next;
                    task.SetAttempt(next.Attempt);
                    _pending.Enqueue(task);
                }
            }

            live = _pending.Count > 0 ? LiveSession() : null;
        }

        // The worker may have registered its next session before this one's end was seen here: the
        // lost tasks go to that session now rather than wait for another one.
        if (live is not null)
        {
            SendPending(live);
        }
    }

    /// <summary>Records a result and decides its ack; the caller queues the ack, then calls <see cref="Published"/> so observers see the result only once its ack is on its way.</summary>
    internal ReceivedResult OnResult(EngineSession session, ActivityResult result, List<ReceivedResult> sessionResults, out DispatchedTask? completed)
    {
        ReceivedResult received;
        completed = null;
        lock (Gate)
        {
            received = new ReceivedResult(session, result, ++_sequence);
            if (Options.RecordFrames)
            {
                _results.Add(received);
                sessionResults.Add(received);
            }

            var key = (result.WorkflowId?.Uuid ?? string.Empty, result.ActivityId?.SequencePosition ?? 0);
            if (_open.Remove(key, out var task))
            {
                _inFlightOn.Remove(key);
                completed = task;
            }
        }

        return received;
    }

    internal void Published(ReceivedResult received, DispatchedTask? completed)
    {
        completed?.Complete(received.Result);
        OnResultReceived?.Invoke(received);
        Notify();
    }

    internal AckMode DecideAck(ActivityResult result)
    {
        var mode = AckMode;
        if (mode == AckMode.Auto && AckFilter is { } filter && !filter(result))
        {
            return AckMode.Drop;
        }

        return mode;
    }

    internal void OnHeartbeat(EngineSession session, Heartbeat heartbeat, List<ReceivedHeartbeat> sessionHeartbeats)
    {
        if (!Options.RecordFrames)
        {
            return;
        }

        lock (Gate)
        {
            var received = new ReceivedHeartbeat(session, heartbeat, ++_sequence, Options.TimeProvider.GetUtcNow());
            _heartbeats.Add(received);
            sessionHeartbeats.Add(received);
        }

        Notify();
    }

    internal void OnUnexpected(WorkerToServer frame)
    {
        lock (Gate)
        {
            _unexpected.Add(frame);
        }

        Notify();
    }

    private void MarkDispatched(DispatchedTask task, EngineSession session)
    {
        _inFlightOn[(task.WorkflowId, task.Position)] = session;
        task.Dispatches++;
    }

    private EngineSession? LiveSession()
    {
        for (var i = _sessions.Count - 1; i >= 0; i--)
        {
            if (_sessions[i].IsAccepted && _sessions[i].IsOpen)
            {
                return _sessions[i];
            }
        }

        return null;
    }
}
