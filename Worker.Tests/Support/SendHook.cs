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

    /// <summary>Adds the hook to the worker's pipeline.</summary>
    public AionWorkerBuilder Install(AionWorkerBuilder builder) =>
        builder.ConfigurePipeline(pipeline => pipeline.AddSessionMiddleware((context, session) => new HookedSession(this, context.ConnectionNumber, session)));

    private sealed class HookedSession(SendHook owner, long number, IWorkerSession inner) : DelegatingWorkerSession(inner)
    {
        public override ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken) =>
            owner.OnSend?.Invoke(number, frame) is { } replaced ? new ValueTask(replaced) : base.SendAsync(frame, cancellationToken);
    }
}
