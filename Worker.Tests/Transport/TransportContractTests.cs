using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport;
using Google.Protobuf;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Transport;

/// <summary>
/// The contract every transport holds: one suite, run against each transport by a subclass that
/// hosts the same <see cref="InMemoryEngine"/> behind it. The suite does not assume fake time; a
/// subclass on a fake clock lets backoffs pass in <see cref="LetDelayPassAsync"/>.
/// </summary>
public abstract class TransportContractTests
{
    protected const string EchoType = "contract.echo";
    protected const string ProgressType = "contract.progress";

    /// <summary>Creates a worker reaching a new engine over the transport under test.</summary>
    /// <param name="engineOptions">The engine's options; the factory sets its clock.</param>
    /// <param name="builder">Registers the activities (and anything else) on the worker's builder, after the transport and clock.</param>
    /// <param name="options">The worker's options (conformance defaults), to adjust before building.</param>
    protected abstract Task<TransportPair> CreatePairAsync(InMemoryEngineOptions engineOptions, Action<AionWorkerBuilder> builder, AionWorkerOptions options);

    /// <summary>Lets a worker delay (a backoff) of <paramref name="delay"/> pass; on a real clock it passes by itself.</summary>
    protected virtual Task LetDelayPassAsync(TransportPair pair, TimeSpan delay) => Task.CompletedTask;

    /// <summary>
    /// Opens a session to a bare peer that reads the worker's first frame, then sends each of
    /// <paramref name="responses"/> as one message exactly as given (bytes no serializer would
    /// produce); <see langword="null"/> when the transport moves frames as objects and cannot carry them.
    /// </summary>
    protected virtual Task<RawPeerSession?> OpenSessionToRawPeerAsync(params byte[][] responses) => Task.FromResult<RawPeerSession?>(null);

    /// <summary>The metadata of sessions a test opens itself.</summary>
    protected static readonly WorkerSessionMetadata ContractMetadata = new(["default"], "worker", null);

    private static readonly WorkerToServer Register = new() { Register = new RegisterWorker { TaskQueue = "contract", ActivityTypes = { EchoType } } };

    private Task<TransportPair> CreateAsync(Action<AionWorkerOptions>? configure = null, InMemoryEngineOptions? engineOptions = null)
    {
        var options = WorkerHarness.DefaultOptions();
        configure?.Invoke(options);
        return CreatePairAsync(engineOptions ?? new InMemoryEngineOptions(), b => b
            .AddActivity<string, string>(EchoType, (input, _) => input)
            .AddActivity<string, string>(ProgressType, async (input, context) =>
            {
                await context.HeartbeatAsync(new { step = input });
                return input;
            }), options);
    }

    [Test]
    public async Task Registration_frame_and_call_metadata_reach_the_engine()
    {
        await using var pair = await CreateAsync(o =>
        {
            o.Namespaces = ["alpha", "beta"];
            o.Subject = "contract-subject";
            o.BearerToken = "contract-token";
            o.TaskQueue = "contract-queue";
            o.Node = "node-7";
        });
        var session = await pair.StartAndRegisterAsync();

        var registration = session.Registration!;
        Assert.That(registration.Namespaces, Is.EqualTo(new[] { "alpha", "beta" }));
        Assert.That(registration.TaskQueue, Is.EqualTo("contract-queue"));
        Assert.That(registration.Node, Is.EqualTo("node-7"));
        Assert.That(registration.ActivityTypes, Is.EqualTo(new[] { EchoType, ProgressType }));
        Assert.That(session.Metadata.Namespaces, Is.EqualTo(new[] { "alpha", "beta" }));
        Assert.That(session.Metadata.NamespacesHeader, Is.EqualTo("alpha,beta"));
        Assert.That(session.Metadata.Subject, Is.EqualTo("contract-subject"));
        Assert.That(session.Metadata.BearerToken, Is.EqualTo("contract-token"));
        await Poll.UntilAsync(() => pair.Worker.CurrentRegistration is not null, "the worker exposes the ack");
        Assert.That(pair.Worker.CurrentRegistration!.WorkerId, Is.EqualTo(session.WorkerId));
        Assert.That(pair.Worker.CurrentRegistration.Namespace, Is.EqualTo("alpha,beta"));

        await pair.StopAsync();
    }

    [Test]
    public async Task Task_round_trips_to_a_result_with_its_ids()
    {
        await using var pair = await CreateAsync();
        await pair.StartAndRegisterAsync();

        var task = pair.Engine.DispatchJson(EchoType, "\"ping\"", new DispatchOptions { WorkflowId = "3f1c2b1e-0000-4000-8000-000000000001", Position = 4, RunId = "run-9" });
        var result = await task.Result.Within();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(result.Result.ContentType, Is.EqualTo("application/json"));
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"ping\""));
        Assert.That(result.WorkflowId.Uuid, Is.EqualTo("3f1c2b1e-0000-4000-8000-000000000001"));
        Assert.That(result.ActivityId.SequencePosition, Is.EqualTo(4));
        Assert.That(result.RunId.Uuid, Is.EqualTo("run-9"));
        await pair.StopAsync();
    }

    [Test]
    public async Task Ack_removes_the_result_from_the_tracker()
    {
        await using var pair = await CreateAsync(engineOptions: new InMemoryEngineOptions { AckMode = AckMode.Withhold });
        var session = await pair.StartAndRegisterAsync();

        await pair.Engine.DispatchJson(EchoType, "\"acked\"").Result.Within();
        await Poll.UntilAsync(() => pair.Worker.UnackedResults == 1, "the result is tracked");

        session.AckPending();
        await Poll.UntilAsync(() => pair.Worker.UnackedResults == 0, "the ack removed it");
        await pair.StopAsync();
    }

    [Test]
    public async Task Progress_heartbeat_reaches_the_engine_before_the_result()
    {
        await using var pair = await CreateAsync();
        var session = await pair.StartAndRegisterAsync();

        var task = pair.Engine.DispatchJson(ProgressType, "\"half\"");
        await task.Result.Within();

        var beat = session.Heartbeats.Single(h => h.HasProgress);
        Assert.That(beat.WorkflowId, Is.EqualTo(task.WorkflowId));
        Assert.That(beat.Position, Is.EqualTo(task.Position));
        Assert.That(beat.Heartbeat.Progress.Bytes.ToStringUtf8(), Is.EqualTo("""{"step":"half"}"""));
        Assert.That(beat.Sequence, Is.LessThan(session.Results.Single().Sequence));
        await pair.StopAsync();
    }

    [Test]
    public async Task Drain_closes_the_stream_and_redials_with_a_new_worker_id()
    {
        await using var pair = await CreateAsync();
        var first = await pair.StartAndRegisterAsync();

        first.Drain();
        var end = await pair.Sessions.WaitForEndAsync();
        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Drain));
        Assert.That(pair.Sessions.Ended[0].Drops, Is.Zero, "a drain spends no budget");
        Assert.That((await first.Completion.Within()).StatusCode, Is.EqualTo(StatusCode.OK));
        Assert.That(first.WorkerClosed, Is.True);

        await LetDelayPassAsync(pair, pair.Worker.Options.Reconnect.InitialBackoff);
        var second = await pair.Engine.WaitForSessionAsync(2).Within();
        Assert.That(second.WorkerId, Is.Not.EqualTo(first.WorkerId));
        await Poll.UntilAsync(() => pair.Worker.CurrentRegistration?.WorkerId == second.WorkerId, "the worker exposes the new ack");

        var result = await pair.Engine.DispatchJson(EchoType, "\"after drain\"").Result.Within();
        Assert.That(second.Results.Single().Result, Is.EqualTo(result));
        await pair.StopAsync();
    }

    [Test]
    public async Task Clean_end_of_the_stream_reconnects()
    {
        await using var pair = await CreateAsync();
        var first = await pair.StartAndRegisterAsync();

        first.End();
        var end = await pair.Sessions.WaitForEndAsync();
        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.CleanClose));
        Assert.That(end.Error, Is.Null);
        Assert.That(pair.Sessions.Ended[0].Drops, Is.EqualTo(1));

        await LetDelayPassAsync(pair, pair.Worker.Options.Reconnect.InitialBackoff);
        var second = await pair.Engine.WaitForSessionAsync(2).Within();
        await pair.Engine.DispatchJson(EchoType, "\"again\"").Result.Within();
        Assert.That(second.Results, Has.Count.EqualTo(1));
        await pair.StopAsync();
    }

    [Test]
    public async Task Error_status_end_reconnects_with_the_status_preserved()
    {
        await using var pair = await CreateAsync();
        var first = await pair.StartAndRegisterAsync();

        first.Fail(new Status(StatusCode.Unavailable, "engine restarting (contract)"));
        var end = await pair.Sessions.WaitForEndAsync();
        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.Error!.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(end.Error.StatusDetail, Is.EqualTo("engine restarting (contract)"));
        Assert.That(end.Error.IsRetryable, Is.True);

        await LetDelayPassAsync(pair, pair.Worker.Options.Reconnect.InitialBackoff);
        await pair.Engine.WaitForSessionAsync(2).Within();
        await pair.Engine.DispatchJson(EchoType, "\"again\"").Result.Within();
        await pair.StopAsync();
    }

    [Test]
    public async Task Refusal_with_PermissionDenied_fails_the_run_as_non_retryable()
    {
        await using var pair = await CreateAsync();
        pair.Engine.Script(ConnectionScript.Refuse(new Status(StatusCode.PermissionDenied, "namespace not granted (contract)")));
        pair.Start();

        var caught = await CatchAsync(pair.Run!);
        Assert.That(caught, Is.TypeOf<AionWorkerException>());
        var failure = (AionWorkerException)caught!;
        Assert.That(failure.IsRetryable, Is.False);
        Assert.That(failure.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(failure.StatusDetail, Is.EqualTo("namespace not granted (contract)"));
        Assert.That(pair.Engine.ConnectAttempts, Is.EqualTo(1));
        Assert.That(pair.Engine.AcceptedSessions, Is.Empty);
    }

    [Test]
    public async Task Worker_shutdown_closes_the_stream()
    {
        await using var pair = await CreateAsync();
        var session = await pair.StartAndRegisterAsync();

        await pair.StopAsync();

        var status = await session.Completion.Within();
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.OK), status.Detail);
        Assert.That(session.WorkerClosed, Is.True);
        Assert.That(pair.Sessions.Ended.Single().End.Kind, Is.EqualTo(SessionEndKind.Shutdown));
    }

    [Test]
    public async Task Sends_may_buffer_and_reach_the_engine_in_order_once_flushed()
    {
        await using var pair = await CreateAsync();
        await using var session = await OpenRegisteredSessionAsync(pair);
        var engineSession = await pair.Engine.WaitForSessionAsync(1).Within();

        for (ulong position = 1; position <= 20; position++)
        {
            await session.SendAsync(Beat(position), CancellationToken.None).AsTask().Within();
        }

        await session.FlushAsync(CancellationToken.None).AsTask().Within();
        await pair.Engine.WaitUntilAsync(() => engineSession.Heartbeats.Count == 20).Within();
        Assert.That(engineSession.Heartbeats.Select(h => h.Position), Is.EqualTo(Enumerable.Range(1, 20).Select(i => (ulong)i)));

        // Nothing sent since: a flush completes at once, however the transport buffers.
        await session.FlushAsync(CancellationToken.None).AsTask().Within();
    }

    [Test]
    public async Task TryReceive_and_ReceiveAsync_together_deliver_every_frame_once_in_order_and_TryReceive_never_waits()
    {
        await using var pair = await CreateAsync();
        await using var session = await OpenRegisteredSessionAsync(pair);
        var engineSession = await pair.Engine.WaitForSessionAsync(1).Within();
        Assert.That(session.TryReceive(out _), Is.False, "nothing was sent after the ack");

        for (ulong position = 1; position <= 10; position++)
        {
            engineSession.Ack("wf-contract", position);
        }

        var received = new List<ulong>();
        var synchronous = 0;
        while (received.Count < 10)
        {
            if (session.TryReceive(out var frame))
            {
                synchronous++;
            }
            else
            {
                frame = await session.ReceiveAsync(CancellationToken.None).AsTask().Within();
            }

            Assert.That(frame.Kind, Is.EqualTo(InboundFrameKind.Message));
            received.Add(frame.Message!.ResultAck.ActivityId.SequencePosition);
        }

        Assert.That(received, Is.EqualTo(Enumerable.Range(1, 10).Select(i => (ulong)i)));
        Assert.That(session.TryReceive(out _), Is.False, "nothing is pending");
        TestContext.Progress.WriteLine($"{GetType().Name}: {synchronous} of 10 frames taken by TryReceive");

        engineSession.End();
        var end = await session.ReceiveAsync(CancellationToken.None).AsTask().Within();
        Assert.That(end.IsEndOfStream, Is.True);
        Assert.That(session.TryReceive(out _), Is.False, "TryReceive leaves the end of the stream to ReceiveAsync");
    }

    /// <summary>A task frame whose ids decode but whose activity type is not UTF-8, so the frame does not parse.</summary>
    internal static byte[] TaskWithInvalidUtf8Type(string workflowId, ulong position)
    {
        var task = new ServerToWorker
        {
            Task = new ActivityTask
            {
                WorkflowId = new WorkflowId { Uuid = workflowId },
                ActivityId = new ActivityId { SequencePosition = position },
                ActivityType = "@@@@",
                Input = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("1") },
                Attempt = 2,
            },
        }.ToByteArray();
        var at = task.AsSpan().IndexOf("@@@@"u8);
        task[at] = 0xFF;
        task[at + 1] = 0xFE;
        return task;
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task A_task_over_MaxTaskInputSize_and_a_task_frame_that_decodes_only_as_far_as_its_ids_are_reported_terminal_and_the_session_goes_on()
    {
        // CONFORMANCE #46. The default wire cap (64 MiB) lets a 5 MiB task through; Core reports it TERMINAL.
        var ack = new ServerToWorker { RegisterAck = new RegisterAck { WorkerId = 5, Namespace = "default", HeartbeatWindowMs = 30_000 } };
        var big = new ServerToWorker
        {
            Task = new ActivityTask
            {
                WorkflowId = new WorkflowId { Uuid = "wf-big" },
                ActivityId = new ActivityId { SequencePosition = 1 },
                ActivityType = EchoType,
                Input = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("\"" + new string('x', 5 * 1024 * 1024) + "\"") },
                Attempt = 1,
            },
        };
        var good = new ServerToWorker
        {
            Task = new ActivityTask
            {
                WorkflowId = new WorkflowId { Uuid = "wf-good" },
                ActivityId = new ActivityId { SequencePosition = 3 },
                ActivityType = EchoType,
                Input = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("\"after\"") },
                Attempt = 1,
            },
        };
        await using var raw = await OpenSessionToRawPeerAsync(ack.ToByteArray(), TaskWithInvalidUtf8Type("wf-bad", 2), big.ToByteArray(), good.ToByteArray());
        if (raw is null)
        {
            Assert.That(this, Is.InstanceOf<InMemoryTransportContractTests>(), "only the in-memory transport, which moves frames as objects, cannot carry a malformed frame");
            return;
        }

        var options = WorkerHarness.DefaultOptions();
        options.RegisterTimeout = TimeSpan.FromSeconds(5);
        options.SendTimeout = TimeSpan.FromSeconds(5);
        options.ShutdownAckTimeout = TimeSpan.FromMilliseconds(50);
        var logs = new FakeLogCollector();
        var worker = AionWorker.CreateBuilder(options)
            .AddActivity<string, string>(EchoType, (input, _) => input)
            .UseLoggerFactory(TestLogs.Factory(logs))
            .Build();
        var session = new RecordingSession(raw.Session);
        using var shutdown = new CancellationTokenSource();
        var run = worker.RunSessionAsync(session, shutdown.Token);

        await Poll.UntilAsync(() => session.Results.Count == 3 || run.IsCompleted, "three results on the session");
        Assert.That(run.IsCompleted, Is.False, $"the session went on: {(run.IsCompleted ? run.Result.Error : null)}");
        var results = session.Results.ToDictionary(r => r.WorkflowId.Uuid);
        Assert.That(results["wf-bad"].ActivityId.SequencePosition, Is.EqualTo(2));
        Assert.That(results["wf-bad"].Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(results["wf-bad"].Error.Message, Does.StartWith("the task frame could not be decoded: "));
        Assert.That(results["wf-big"].Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(results["wf-big"].Error.Message, Is.EqualTo($"input of {5 * 1024 * 1024 + 2} bytes exceeds the limit of {AionWorkerOptions.DefaultMaxTaskInputSize} (MaxTaskInputSize)"));
        Assert.That(results["wf-good"].Result.Bytes.ToStringUtf8(), Is.EqualTo("\"after\""));
        Assert.That(logs.GetSnapshot().Count(e => e.Id.Id == 40 && e.Level == Microsoft.Extensions.Logging.LogLevel.Warning), Is.EqualTo(2), "each rejected task is logged with its ids");

        shutdown.Cancel();
        var end = await run.Within();
        Assert.That(end.Error?.Kind, Is.Not.EqualTo(AionErrorKind.Protocol), $"{end.Error}");
    }

    [Test]
    public async Task A_frame_that_does_not_parse_reaches_the_worker_with_its_bytes_where_the_wire_can_carry_one()
    {
        byte[] garbage = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        var ack = new ServerToWorker { RegisterAck = new RegisterAck { WorkerId = 5, Namespace = "default", HeartbeatWindowMs = 30_000 } };
        var after = new ServerToWorker { Drain = new DrainRequest() };
        await using var raw = await OpenSessionToRawPeerAsync(ack.ToByteArray(), garbage, after.ToByteArray());
        if (raw is null)
        {
            Assert.That(this, Is.InstanceOf<InMemoryTransportContractTests>(), "only the in-memory transport, which moves frames as objects, cannot carry a malformed frame");
            return;
        }

        var session = raw.Session;
        await session.SendAsync(Register, CancellationToken.None).AsTask().Within();
        await session.FlushAsync(CancellationToken.None).AsTask().Within();
        Assert.That((await session.ReceiveAsync(CancellationToken.None).AsTask().Within()).Message, Is.EqualTo(ack));

        var undecodable = await session.ReceiveAsync(CancellationToken.None).AsTask().Within();
        Assert.That(undecodable.Kind, Is.EqualTo(InboundFrameKind.Undecodable));
        Assert.That(undecodable.Bytes.ToArray(), Is.EqualTo(garbage));
        Assert.That(undecodable.Size, Is.EqualTo(garbage.Length));

        // The transport does not end the session for it: the worker decides.
        Assert.That((await session.ReceiveAsync(CancellationToken.None).AsTask().Within()).Message, Is.EqualTo(after));
    }

    /// <summary>Opens a session to the pair's engine and registers on it (the registration flushed, the ack read).</summary>
    private static async Task<IWorkerSession> OpenRegisteredSessionAsync(TransportPair pair)
    {
        var session = await pair.Transport.ConnectAsync(ContractMetadata, CancellationToken.None).AsTask().Within();
        await session.SendAsync(Register, CancellationToken.None).AsTask().Within();
        await session.FlushAsync(CancellationToken.None).AsTask().Within();
        var ack = await session.ReceiveAsync(CancellationToken.None).AsTask().Within();
        Assert.That(ack.Message?.MessageCase, Is.EqualTo(ServerToWorker.MessageOneofCase.RegisterAck));
        return session;
    }

    private static WorkerToServer Beat(ulong position) => new()
    {
        Heartbeat = new Heartbeat { WorkflowId = new WorkflowId { Uuid = "wf-contract" }, ActivityId = new ActivityId { SequencePosition = position } },
    };

    private static async Task<Exception?> CatchAsync(Task task)
    {
        try
        {
            await task.Within();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }
}
