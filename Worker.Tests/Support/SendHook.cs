using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;

namespace Aion.Worker.Tests.Support;

/// <summary>
/// Public session middleware (a <see cref="DelegatingWorkerSession"/>) through which a test watches,
/// and holds back, what the worker sends on each session: e.g. record the order of sends against
/// activity starts, or stall the replay of one session.
/// </summary>
public sealed class SendHook
{
    /// <summary>
    /// Called for every frame the worker sends, with the session's connection number (one-based,
    /// equal to <see cref="Transport.InMemory.EngineSession.Number"/> for the in-memory engine). Return
    /// a task to use instead of the real send (the frame is then not forwarded), or <see langword="null"/> to send it.
    /// </summary>
    public Func<long, WorkerToServer, Task?>? OnSend { get; set; }

    /// <summary>
    /// Called for every flush, with the session's connection number: return a task to await before
    /// the real flush (a fault fails the flush), or <see langword="null"/> to flush at once.
    /// </summary>
    public Func<long, Task?>? OnFlush { get; set; }

    /// <summary>Every send ('S') and flush ('F') the worker made, in order, across sessions.</summary>
    public string Calls
    {
        get
        {
            lock (_calls)
            {
                return _calls.ToString();
            }
        }
    }

    private readonly System.Text.StringBuilder _calls = new();

    private void Record(char call)
    {
        lock (_calls)
        {
            _calls.Append(call);
        }
    }

    /// <summary>Adds the hook to the worker's pipeline.</summary>
    public AionWorkerBuilder Install(AionWorkerBuilder builder) =>
        builder.ConfigurePipeline(pipeline => pipeline.AddSessionMiddleware((context, session) => new HookedSession(this, context.ConnectionNumber, session)));

    private sealed class HookedSession(SendHook owner, long number, IWorkerSession inner) : DelegatingWorkerSession(inner)
    {
        public override ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
        {
            owner.Record('S');
            return owner.OnSend?.Invoke(number, frame) is { } replaced ? new ValueTask(replaced) : base.SendAsync(frame, cancellationToken);
        }

        public override ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            owner.Record('F');
            return owner.OnFlush?.Invoke(number) is { } before ? FlushAfterAsync(before, cancellationToken) : base.FlushAsync(cancellationToken);
        }

        private async ValueTask FlushAfterAsync(Task before, CancellationToken cancellationToken)
        {
            await before.ConfigureAwait(false);
            await base.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
