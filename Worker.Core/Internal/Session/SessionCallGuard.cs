using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// Enforces <see cref="IWorkerSession"/>'s one-sender/one-receiver rule directly around the session a
/// transport returned, beneath any session middleware: a second concurrent send, flush or complete, or
/// a second concurrent receive, throws <see cref="InvalidOperationException"/> naming the rule instead
/// of corrupting the transport (as grpc-dotnet does for a second concurrent write).
/// </summary>
/// <remarks>
/// One flag per side, taken with <see cref="Interlocked.CompareExchange(ref int, int, int)"/> and
/// released when the call completes: a call that completes at once allocates nothing; one that
/// completes later is awaited by a pooled state machine. Disposing is never guarded: it aborts the
/// session from any task.
/// </remarks>
internal sealed class SessionCallGuard : IWorkerSession
{
    private const int Idle = 0;

    private readonly IWorkerSession _inner;
    private int _sending;
    private int _receiving;

    public SessionCallGuard(IWorkerSession inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
    }

    /// <summary>What the calls in progress hold (a flag per side); named in the exception.</summary>
    private enum Call
    {
        SendAsync = 1,
        FlushAsync,
        CompleteAsync,
        TryReceive,
        ReceiveAsync,
    }

    public ChannelReader<ActivityCancelRequest>? CancelRequests => _inner.CancelRequests;

    public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken) =>
        Sending(Call.SendAsync, static (session, sent, token) => session.SendAsync(sent!, token), frame, cancellationToken);

    public ValueTask FlushAsync(CancellationToken cancellationToken) =>
        Sending(Call.FlushAsync, static (session, _, token) => session.FlushAsync(token), null, cancellationToken);

    public ValueTask CompleteAsync(CancellationToken cancellationToken) =>
        Sending(Call.CompleteAsync, static (session, _, token) => session.CompleteAsync(token), null, cancellationToken);

    public bool TryReceive(out InboundFrame frame)
    {
        Enter(ref _receiving, Call.TryReceive);
        try
        {
            return _inner.TryReceive(out frame);
        }
        finally
        {
            Volatile.Write(ref _receiving, Idle);
        }
    }

    public ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        Enter(ref _receiving, Call.ReceiveAsync);
        ValueTask<InboundFrame> pending;
        try
        {
            pending = _inner.ReceiveAsync(cancellationToken);
        }
        catch
        {
            Volatile.Write(ref _receiving, Idle);
            throw;
        }

        if (pending.IsCompleted)
        {
            Volatile.Write(ref _receiving, Idle);
            return pending;
        }

        return ExitReceivingAfterAsync(pending);
    }

    public ValueTask DisposeAsync() => _inner.DisposeAsync();

    public override string ToString() => _inner.ToString() ?? nameof(SessionCallGuard);

    private static void Enter(ref int side, Call call)
    {
        var holder = Interlocked.CompareExchange(ref side, (int)call, Idle);
        if (holder != Idle)
        {
            throw Violation(call, (Call)holder);
        }
    }

    private static InvalidOperationException Violation(Call call, Call holder)
    {
        var rule = call is Call.TryReceive or Call.ReceiveAsync
            ? "one receiver at a time: TryReceive and ReceiveAsync are called from one task"
            : "one sender at a time: SendAsync, FlushAsync and CompleteAsync are called from one task";
        return new InvalidOperationException(
            $"IWorkerSession.{call} was called while {holder} on the same session had not completed. An IWorkerSession has {rule}, " +
            "each call after the previous one completed (a send and a receive may overlap). Session middleware that sends or receives from another task must not overlap the worker's calls.");
    }

    /// <summary>One call on the sending side (static lambdas: no allocation per call).</summary>
    private ValueTask Sending(Call call, Func<IWorkerSession, WorkerToServer?, CancellationToken, ValueTask> operation, WorkerToServer? frame, CancellationToken cancellationToken)
    {
        Enter(ref _sending, call);
        ValueTask pending;
        try
        {
            pending = operation(_inner, frame, cancellationToken);
        }
        catch
        {
            Volatile.Write(ref _sending, Idle);
            throw;
        }

        if (pending.IsCompleted)
        {
            Volatile.Write(ref _sending, Idle);
            return pending;
        }

        return ExitSendingAfterAsync(pending);
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask ExitSendingAfterAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _sending, Idle);
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<InboundFrame> ExitReceivingAfterAsync(ValueTask<InboundFrame> pending)
    {
        try
        {
            return await pending.ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _receiving, Idle);
        }
    }
}
