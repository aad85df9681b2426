using System.Threading.Channels;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Tests.Streams;

/// <summary>A worker and the in-memory engine talking over a real socket (TCP loopback, Unix domain socket).</summary>
[TestFixture(StreamEndpointKind.Tcp)]
[TestFixture(StreamEndpointKind.UnixSocket)]
public sealed class StreamTransportEndToEndTests(StreamEndpointKind endpoint)
{
    private static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(5);

    private sealed record ChargeInput(int Amount);

    private sealed record Receipt(string Id, int Amount);

    private static void Charge(AionWorkerBuilder builder) =>
        builder.AddActivity<ChargeInput, Receipt>("billing.charge", (input, _) => new Receipt("r-" + input.Amount, input.Amount));

    private StreamWorld Create(Action<AionWorkerOptions>? configure = null, StreamTransportOptions? transportOptions = null, Action<AionWorkerBuilder>? activities = null) =>
        StreamWorld.Create(endpoint, activities ?? Charge, configure, transportOptions);

    private static ChannelReader<SessionEndedEventArgs> Ends(AionWorker worker)
    {
        var ends = Channel.CreateUnbounded<SessionEndedEventArgs>();
        worker.SessionEnded += (_, args) => ends.Writer.TryWrite(args);
        return ends.Reader;
    }

    [Test]
    public async Task Registers_with_the_hello_metadata_and_sorted_activity_types()
    {
        await using var world = Create(
            options =>
            {
                options.Namespaces = ["billing", "ops"];
                options.Subject = "svc-worker";
                options.BearerToken = "token-1";
            },
            activities: builder =>
            {
                builder.AddActivity<ChargeInput, Receipt>("z.last", (input, _) => new Receipt("z", input.Amount));
                Charge(builder);
            });
        var session = await world.StartAndRegisterAsync();

        Assert.That(session.Metadata.Namespaces, Is.EqualTo(new[] { "billing", "ops" }));
        Assert.That(session.Metadata.Subject, Is.EqualTo("svc-worker"));
        Assert.That(session.Metadata.BearerToken, Is.EqualTo("token-1"));
        Assert.That(session.Registration!.Namespaces, Is.EqualTo(new[] { "billing", "ops" }));
        Assert.That(session.Registration.ActivityTypes, Is.EqualTo(new[] { "billing.charge", "z.last" }));
        Assert.That(session.Registration.TaskQueue, Is.EqualTo("tests"));
        Assert.That(world.Server.AcceptedConnections, Is.EqualTo(1));

        await world.StopAsync();
        Assert.That((await session.Completion.Within()).StatusCode, Is.EqualTo(StatusCode.OK));
        Assert.That(session.WorkerClosed, Is.True, "shutdown closes the worker's side with a close frame");
    }

    [Test]
    public async Task Task_round_trips_to_a_typed_result_with_ids_echoed()
    {
        await using var world = Create();
        await world.StartAndRegisterAsync();

        var task = world.Engine.Dispatch("billing.charge", new ChargeInput(1999), new DispatchOptions
        {
            WorkflowId = "0b5e1d7c-4a3b-4c55-9a77-2f9a2b3c4d5e",
            Position = 4,
            RunId = "5d1f0c3a-2b4e-4f6a-8c7d-9e0f1a2b3c4d",
        });
        var result = await task.Result.Within();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(result.Result.ContentType, Is.EqualTo("application/json"));
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"id":"r-1999","amount":1999}"""));
        Assert.That(result.WorkflowId.Uuid, Is.EqualTo("0b5e1d7c-4a3b-4c55-9a77-2f9a2b3c4d5e"));
        Assert.That(result.ActivityId.SequencePosition, Is.EqualTo(4));
        Assert.That(result.RunId.Uuid, Is.EqualTo("5d1f0c3a-2b4e-4f6a-8c7d-9e0f1a2b3c4d"));
        await world.StopAsync();
    }

    [Test]
    public async Task Acked_result_is_not_replayed_after_a_clean_end_and_reconnect()
    {
        await using var world = Create();
        var ends = Ends(world.Worker);
        var first = await world.StartAndRegisterAsync();
        await world.Engine.Dispatch("billing.charge", new ChargeInput(1)).Result.Within();

        // The ack is written before the end frame, so the worker reads it first.
        first.End();
        var end = await ends.ReadAsync().AsTask().Within();
        Assert.That(end.End.Kind, Is.EqualTo(SessionEndKind.CleanClose));
        Assert.That(end.Drops, Is.EqualTo(1));
        Assert.That(world.Worker.UnackedResults, Is.Zero);

        await world.AdvancePastBackoffAsync(InitialBackoff);
        var second = await world.SessionAsync(2);
        Assert.That(second.WorkerId, Is.EqualTo(first.WorkerId + 1));

        // Replay precedes any new task on a session: the second result arriving alone proves nothing was replayed.
        var next = world.Engine.Dispatch("billing.charge", new ChargeInput(2));
        await next.Result.Within();
        Assert.That(second.Results.Select(r => r.Result.ActivityId.SequencePosition), Is.EqualTo(new[] { next.Position }));
        await world.StopAsync();
    }

    [Test]
    public async Task Unacked_result_is_replayed_on_the_next_session()
    {
        await using var world = Create();
        world.Engine.AckMode = AckMode.Withhold;
        var first = await world.StartAndRegisterAsync();
        var task = world.Engine.Dispatch("billing.charge", new ChargeInput(7));
        await task.Result.Within();

        first.Fail(new Status(StatusCode.Unavailable, "engine restarting"));
        await world.AdvancePastBackoffAsync(InitialBackoff);
        var second = await world.SessionAsync(2);
        await world.Engine.WaitUntilAsync(() => second.Results.Count > 0).Within();

        var replayed = second.Results.Single().Result;
        Assert.That(replayed.WorkflowId.Uuid, Is.EqualTo(task.WorkflowId));
        Assert.That(replayed.ActivityId.SequencePosition, Is.EqualTo(task.Position));
        Assert.That(replayed.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"id":"r-7","amount":7}"""));

        second.AckPending();
        await world.StopAsync();
    }

    [Test]
    public async Task Drain_closes_the_worker_side_and_redials_with_a_new_worker_id_without_budget()
    {
        await using var world = Create();
        var ends = Ends(world.Worker);
        var first = await world.StartAndRegisterAsync();

        first.Drain();
        Assert.That((await first.Completion.Within()).StatusCode, Is.EqualTo(StatusCode.OK));
        Assert.That(first.WorkerClosed, Is.True);
        var end = await ends.ReadAsync().AsTask().Within();
        Assert.That(end.End.Kind, Is.EqualTo(SessionEndKind.Drain));
        Assert.That(end.Drops, Is.Zero);

        await world.AdvancePastBackoffAsync(InitialBackoff);
        var second = await world.SessionAsync(2);
        Assert.That(second.WorkerId, Is.EqualTo(first.WorkerId + 1));
        Assert.That(world.Server.AcceptedConnections, Is.EqualTo(2));
        await world.StopAsync();
    }

    [Test]
    public async Task Refused_registration_with_PermissionDenied_fails_the_run_without_retrying()
    {
        await using var world = Create();
        world.Engine.Script(ConnectionScript.Refuse(new Status(StatusCode.PermissionDenied, "namespace 'default' not granted to subject 'worker'")));
        world.Start();

        AionWorkerException? error = null;
        try
        {
            await world.Run!.Within();
        }
        catch (AionWorkerException ex)
        {
            error = ex;
        }

        Assert.That(error, Is.Not.Null);
        Assert.That(error!.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(error.StatusDetail, Is.EqualTo("namespace 'default' not granted to subject 'worker'"));
        Assert.That(error.IsRetryable, Is.False);
        Assert.That(world.Engine.ConnectAttempts, Is.EqualTo(1));
        Assert.That(world.Server.AcceptedConnections, Is.EqualTo(1));
    }

    [Test]
    public async Task Error_status_reaches_the_worker_unchanged_and_the_worker_reconnects()
    {
        await using var world = Create();
        var ends = Ends(world.Worker);
        var first = await world.StartAndRegisterAsync();

        first.Fail(new Status(StatusCode.Unavailable, "engine restarting: node 3 going down"));
        var end = await ends.ReadAsync().AsTask().Within();
        Assert.That(end.End.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.End.Error!.Kind, Is.EqualTo(AionErrorKind.Status));
        Assert.That(end.End.Error.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(end.End.Error.StatusDetail, Is.EqualTo("engine restarting: node 3 going down"));
        Assert.That(end.Drops, Is.EqualTo(1));

        await world.AdvancePastBackoffAsync(InitialBackoff);
        await world.SessionAsync(2);
        await world.StopAsync();
    }

    [Test]
    public async Task Oversized_frame_from_the_engine_ends_the_session_with_a_protocol_error_and_loses_nothing()
    {
        await using var world = Create(transportOptions: new StreamTransportOptions { Frames = { MaxReceiveFrameSize = 4096 } });
        var ends = Ends(world.Worker);
        world.Engine.AckMode = AckMode.Withhold;
        var first = await world.StartAndRegisterAsync();
        var task = world.Engine.Dispatch("billing.charge", new ChargeInput(5));
        await task.Result.Within();

        first.SendTask(new ActivityTask
        {
            WorkflowId = new WorkflowId { Uuid = Guid.NewGuid().ToString() },
            ActivityId = new ActivityId { SequencePosition = 99 },
            ActivityType = "billing.charge",
            Input = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8($$"""{"amount":1,"pad":"{{new string('x', 8192)}}"}""") },
            Attempt = 1,
        });
        var end = await ends.ReadAsync().AsTask().Within();
        Assert.That(end.End.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.End.Error!.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(end.End.Error.Message, Does.Contain("4096 bytes"));

        // The result computed before stays tracked and is replayed on the next session.
        await world.AdvancePastBackoffAsync(InitialBackoff);
        var second = await world.SessionAsync(2);
        await world.Engine.WaitUntilAsync(() => second.Results.Count > 0).Within();
        Assert.That(second.Results.Single().Result.ActivityId.SequencePosition, Is.EqualTo(task.Position));
        second.AckPending();
        await world.StopAsync();
    }
}
