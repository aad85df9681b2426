using Aion.Worker.Internal.Session;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport;

namespace Aion.Worker.Tests.Session;

/// <summary>
/// <see cref="IWorkerSession"/>'s one-sender/one-receiver rule is enforced by a guard directly around
/// the transport's session, beneath session middleware: an overlapping call throws
/// <see cref="InvalidOperationException"/> naming the rule before it reaches the transport.
/// </summary>
public sealed class SessionCallGuardTests
{
    [Test]
    public async Task A_middleware_that_sends_from_two_tasks_gets_the_one_sender_rule_and_the_worker_goes_on()
    {
        var registerGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondSend = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(
            builder => builder
                .AddActivity<string, string>("echo", (input, _) => input)
                .ConfigurePipeline(pipeline => pipeline.AddSessionMiddleware((_, session) => new TwoTaskSender(session, secondSend))),
            wrapTransport: inner => new RegisterGatedTransport(inner, registerGate.Task));

        harness.Start();
        var second = await secondSend.Task.Within();
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await second.Within());
        Assert.That(error!.Message, Does.Contain("IWorkerSession.SendAsync was called while SendAsync on the same session had not completed"));
        Assert.That(error.Message, Does.Contain("one sender at a time"));

        // The overlapping send never reached the transport: the worker's own send completes and the session serves.
        registerGate.SetResult();
        var session = await harness.Engine.WaitForSessionAsync(1).Within();
        var task = harness.Engine.Dispatch("echo", "after the violation");
        await task.Result.Within();
        Assert.That(harness.Engine.UnexpectedFrames, Is.Empty);
        Assert.That(session.Results, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task Send_flush_and_complete_overlapping_a_pending_send_throw_and_the_flag_is_released_when_it_completes()
    {
        var inner = new PendingSession();
        var guard = new SessionCallGuard(inner);

        var pending = guard.SendAsync(new WorkerToServer(), CancellationToken.None);
        Assert.That(pending.IsCompleted, Is.False);
        Assert.That(() => guard.SendAsync(new WorkerToServer(), CancellationToken.None), Throws.InvalidOperationException.With.Message.Contains("one sender at a time"));
        Assert.That(() => guard.FlushAsync(CancellationToken.None), Throws.InvalidOperationException.With.Message.Contains("FlushAsync was called while SendAsync"));
        Assert.That(() => guard.CompleteAsync(CancellationToken.None), Throws.InvalidOperationException.With.Message.Contains("CompleteAsync was called while SendAsync"));
        Assert.That(inner.Sends, Is.EqualTo(1), "the overlapping calls never reached the transport");

        inner.CompleteSend();
        await pending;
        var next = guard.SendAsync(new WorkerToServer(), CancellationToken.None);
        Assert.That(inner.Sends, Is.EqualTo(2), "a send after the previous one completed reaches the transport");
        inner.CompleteSend();
        await next;
    }

    [Test]
    public async Task A_second_receive_overlapping_a_pending_receive_throws_and_a_send_may_overlap_a_receive()
    {
        var inner = new PendingSession();
        var guard = new SessionCallGuard(inner);

        var receiving = guard.ReceiveAsync(CancellationToken.None);
        Assert.That(() => guard.ReceiveAsync(CancellationToken.None), Throws.InvalidOperationException.With.Message.Contains("one receiver at a time"));
        Assert.That(() => guard.TryReceive(out _), Throws.InvalidOperationException.With.Message.Contains("TryReceive was called while ReceiveAsync"));

        var send = guard.SendAsync(new WorkerToServer(), CancellationToken.None);
        inner.CompleteSend();
        await send;

        inner.CompleteReceive();
        Assert.That((await receiving).IsEndOfStream, Is.True);
        Assert.That(guard.TryReceive(out _), Is.False, "the receiver flag was released");
    }

    [Test]
    public async Task A_call_that_fails_releases_its_side()
    {
        var inner = new PendingSession { ThrowOnSend = true };
        var guard = new SessionCallGuard(inner);
        Assert.That(() => guard.SendAsync(new WorkerToServer(), CancellationToken.None), Throws.TypeOf<IOException>());

        inner.ThrowOnSend = false;
        var pending = guard.SendAsync(new WorkerToServer(), CancellationToken.None);
        inner.FailSend(new IOException("broken"));
        await Assert.ThrowsAsync<IOException>(async () => await pending);

        var third = guard.SendAsync(new WorkerToServer(), CancellationToken.None);
        Assert.That(inner.Sends, Is.EqualTo(3), "both failures released the sender flag");
        inner.CompleteSend();
        await third;
    }

    [Test]
    public async Task Calls_that_complete_at_once_allocate_nothing_in_the_guard()
    {
        var guard = new SessionCallGuard(new ImmediateSession());
        var frame = new WorkerToServer();
        for (var i = 0; i < 100; i++)
        {
            await guard.SendAsync(frame, CancellationToken.None);
            await guard.FlushAsync(CancellationToken.None);
            guard.TryReceive(out _);
            await guard.ReceiveAsync(CancellationToken.None);
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            await guard.SendAsync(frame, CancellationToken.None);
            await guard.FlushAsync(CancellationToken.None);
            guard.TryReceive(out _);
            await guard.ReceiveAsync(CancellationToken.None);
        }

        Assert.That(GC.GetAllocatedBytesForCurrentThread() - before, Is.Zero);
    }

    /// <summary>A session whose every call completes at once.</summary>
    private sealed class ImmediateSession : IWorkerSession
    {
        public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken) => default;

        public ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken) => new(InboundFrame.EndOfStream);

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => default;

        public ValueTask DisposeAsync() => default;
    }

    /// <summary>Session middleware that breaks the rule: while the worker's registration send is pending, it sends from a second task.</summary>
    private sealed class TwoTaskSender(IWorkerSession inner, TaskCompletionSource<Task> secondSend) : IWorkerSession
    {
        public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
        {
            var sending = inner.SendAsync(frame, cancellationToken);
            if (frame.Register is not null)
            {
                secondSend.TrySetResult(Task.Run(async () => await inner.SendAsync(new WorkerToServer(), cancellationToken)));
            }

            return sending;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public bool TryReceive(out InboundFrame frame) => inner.TryReceive(out frame);

        public ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken) => inner.ReceiveAsync(cancellationToken);

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => inner.CompleteAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Holds the worker's registration send until the gate opens (beneath the guard, like a slow transport).</summary>
    private sealed class RegisterGatedTransport(IWorkerTransport inner, Task gate) : IWorkerTransport
    {
        public IReadOnlyCollection<string> AcceptedContentTypes => inner.AcceptedContentTypes;

        public async ValueTask<IWorkerSession> ConnectAsync(WorkerSessionMetadata metadata, CancellationToken cancellationToken) =>
            new GatedSession(await inner.ConnectAsync(metadata, cancellationToken), gate);

        private sealed class GatedSession(IWorkerSession inner, Task gate) : IWorkerSession
        {
            public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken) =>
                frame.Register is null ? inner.SendAsync(frame, cancellationToken) : SendAfterGateAsync(frame, cancellationToken);

            public ValueTask FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

            public bool TryReceive(out InboundFrame frame) => inner.TryReceive(out frame);

            public ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken) => inner.ReceiveAsync(cancellationToken);

            public ValueTask CompleteAsync(CancellationToken cancellationToken) => inner.CompleteAsync(cancellationToken);

            public ValueTask DisposeAsync() => inner.DisposeAsync();

            private async ValueTask SendAfterGateAsync(WorkerToServer frame, CancellationToken cancellationToken)
            {
                await gate.WaitAsync(cancellationToken);
                await inner.SendAsync(frame, cancellationToken);
            }
        }
    }

    /// <summary>A session whose sends and receives stay pending until the test completes them.</summary>
    private sealed class PendingSession : IWorkerSession
    {
        private TaskCompletionSource _send = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private TaskCompletionSource<InboundFrame> _receive = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public int Sends { get; private set; }

        public bool ThrowOnSend { get; set; }

        public ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
        {
            Sends++;
            if (ThrowOnSend)
            {
                throw new IOException("refused at once");
            }

            return new ValueTask(_send.Task);
        }

        /// <summary>Completes the pending send (or flush, or complete); the next one is pending again.</summary>
        public void CompleteSend()
        {
            var completed = _send;
            _send = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            completed.TrySetResult();
        }

        public void FailSend(Exception error)
        {
            var failed = _send;
            _send = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            failed.TrySetException(error);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => new(_send.Task);

        public ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken) => new(_receive.Task);

        public void CompleteReceive()
        {
            var completed = _receive;
            _receive = new TaskCompletionSource<InboundFrame>(TaskCreationOptions.RunContinuationsAsynchronously);
            completed.TrySetResult(InboundFrame.EndOfStream);
        }

        public ValueTask CompleteAsync(CancellationToken cancellationToken) => new(_send.Task);

        public ValueTask DisposeAsync() => default;
    }
}
