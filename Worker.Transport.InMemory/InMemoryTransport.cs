using Aion.Worker.Transport.InMemory.Internal;
using Grpc.Core;

namespace Aion.Worker.Transport.InMemory;

/// <summary>An in-process transport to an <see cref="InMemoryEngine"/>: frames move as objects, ends follow gRPC's rules.</summary>
public sealed class InMemoryTransport : IWorkerTransport
{
    private readonly InMemoryEngine _engine;

    /// <summary>Creates a transport to <paramref name="engine"/>.</summary>
    /// <param name="engine">The engine.</param>
    public InMemoryTransport(InMemoryEngine engine)
    {
        _engine = engine ?? throw new ArgumentNullException(nameof(engine));
    }

    /// <inheritdoc />
    public ValueTask<IWorkerSession> ConnectAsync(WorkerSessionMetadata metadata, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(metadata);
        cancellationToken.ThrowIfCancellationRequested();
        _engine.CountConnectAttempt();
        var script = _engine.TakeScript();
        if (script.Kind == ConnectionScriptKind.FailConnect)
        {
            return ValueTask.FromException<IWorkerSession>(new RpcException(script.Status));
        }

        var pipe = new InMemoryPipe(metadata);
        var serving = _engine.Serve(pipe.Engine, script, pipe, CancellationToken.None);
        _ = serving.ContinueWith(static (t, state) => ((InMemoryPipe)state!).EndFromEngine(t.Result), pipe, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return ValueTask.FromResult(pipe.Worker);
    }
}
