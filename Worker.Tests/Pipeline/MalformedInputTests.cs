using Aion.Worker.Codec;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Tests.Streams;
using Aion.Worker.Transport;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Pipeline;

public sealed class MalformedInputTests
{
    private const int EstablishmentFailureDetailLogId = 33;
    private const int UnknownFrameSkippedLogId = 11;

    private static ActivityTask WellFormedTask(string input = "x") => new()
    {
        WorkflowId = new WorkflowId { Uuid = "wf-1" },
        ActivityId = new ActivityId { SequencePosition = 1 },
        ActivityType = BlockingActivity.Type,
        Input = JsonPayloadCodec.Default.Encode(input),
        Attempt = 1,
    };

    public static IEnumerable<TestCaseData> MalformedTasks()
    {
        var noWorkflow = WellFormedTask();
        noWorkflow.WorkflowId = null;
        yield return new TestCaseData(noWorkflow).SetArgDisplayNames("missing workflow id");

        var emptyWorkflow = WellFormedTask();
        emptyWorkflow.WorkflowId = new WorkflowId { Uuid = string.Empty };
        yield return new TestCaseData(emptyWorkflow).SetArgDisplayNames("empty workflow id");

        var noActivity = WellFormedTask();
        noActivity.ActivityId = null;
        yield return new TestCaseData(noActivity).SetArgDisplayNames("missing activity id");

        var emptyType = WellFormedTask();
        emptyType.ActivityType = string.Empty;
        yield return new TestCaseData(emptyType).SetArgDisplayNames("empty activity type");

        var noInput = WellFormedTask();
        noInput.Input = null;
        yield return new TestCaseData(noInput).SetArgDisplayNames("missing input");

        var attemptZero = WellFormedTask();
        attemptZero.Attempt = 0;
        yield return new TestCaseData(attemptZero).SetArgDisplayNames("attempt 0");
    }

    public static IEnumerable<TestCaseData> MalformedFrames()
    {
        yield return new TestCaseData(new ServerToWorker { RegisterAck = new RegisterAck { WorkerId = 99 } }).SetArgDisplayNames("second RegisterAck");
        yield return new TestCaseData(new ServerToWorker { ResultAck = new ResultAck { ActivityId = new ActivityId { SequencePosition = 1 } } }).SetArgDisplayNames("ResultAck without workflow id");
        yield return new TestCaseData(new ServerToWorker { ResultAck = new ResultAck { WorkflowId = new WorkflowId { Uuid = string.Empty }, ActivityId = new ActivityId() } }).SetArgDisplayNames("ResultAck with empty workflow id");
        yield return new TestCaseData(new ServerToWorker { ResultAck = new ResultAck { WorkflowId = new WorkflowId { Uuid = "wf-1" } } }).SetArgDisplayNames("ResultAck without activity id");
        yield return new TestCaseData(new ServerToWorker()).SetArgDisplayNames("no case and no fields");
    }

    [Test]
    public async Task Attempt_on_the_wire_reaches_the_context_unchanged()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b));
        await harness.StartAndRegisterAsync();

        var task = harness.Engine.Dispatch(BlockingActivity.Type, "third", new DispatchOptions { Attempt = 3 });
        var context = await gate.WaitStartedAsync("third");
        gate.Release("third");
        await task.Result.Within();

        Assert.That(context.Attempt, Is.EqualTo(3));
        await harness.StopAsync();
    }

    [TestCaseSource(nameof(MalformedTasks))]
    public async Task Malformed_task_is_a_decode_error_that_ends_the_session_without_calling_the_handler(ActivityTask task)
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b));
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();

        session.SendTask(task);

        await AssertDecodeErrorEndAsync(sessions);
        Assert.That(gate.HasStarted("x"), Is.False, "the handler is never called");
        Assert.That(session.Results, Is.Empty, "the malformed task is not reported");
        await session.Completion.Within();
    }

    [TestCaseSource(nameof(MalformedFrames))]
    public async Task Malformed_frame_after_the_ack_is_a_decode_error_that_ends_the_session(ServerToWorker frame)
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b));
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();

        session.Send(frame);

        await AssertDecodeErrorEndAsync(sessions);
        await session.Completion.Within();
    }

    [Test]
    public async Task A_first_frame_that_is_not_RegisterAck_fails_that_establishment_try_as_retryable()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b));
        harness.Engine.Script(ConnectionScript.SendFirst(new ServerToWorker { Task = WellFormedTask() }));
        harness.Start();

        // The failed try backs off InitialBackoff (5 ms), then the unscripted next try is accepted.
        await harness.Time.WaitForTimerAsync(TimeSpan.FromMilliseconds(5));
        var failure = harness.Logs.GetSnapshot().Single(e => e.Id.Id == EstablishmentFailureDetailLogId);
        Assert.That(failure.Exception, Is.TypeOf<AionWorkerException>());
        var error = (AionWorkerException)failure.Exception!;
        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(error.IsRetryable, Is.True);

        harness.Time.Advance(TimeSpan.FromMilliseconds(5));
        var accepted = await harness.Engine.WaitForSessionAsync(1).Within();
        Assert.That(accepted.Number, Is.EqualTo(2));
        Assert.That(harness.Engine.Sessions[0].IsAccepted, Is.False);
        Assert.That(gate.HasStarted("x"), Is.False, "a task before the ack is never run");

        await harness.StopAsync();
    }

    [Test]
    public async Task A_frame_with_only_unknown_fields_is_skipped_and_the_session_stays_up()
    {
        var gate = new BlockingActivity();
        await using var harness = WorkerHarness.Create(b => gate.Register(b));
        var sessions = new SessionRecorder(harness.Worker);
        var session = await harness.StartAndRegisterAsync();

        // Field 99, wire type varint (tag 99 << 3 = 792 = 0x98 0x06), value 1: a case a newer engine might send.
        var crafted = new byte[] { 0x98, 0x06, 0x01 };
        Assert.That(ServerToWorker.Parser.ParseFrom(crafted).MessageCase, Is.EqualTo(ServerToWorker.MessageOneofCase.None));
        session.SendBytes(crafted);

        var next = harness.Engine.Dispatch(BlockingActivity.Type, "after-unknown");
        gate.Release("after-unknown");
        var result = await next.Result.Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"after-unknown\""));
        Assert.That(harness.Logs.GetSnapshot().Count(e => e.Id.Id == UnknownFrameSkippedLogId), Is.EqualTo(1));
        Assert.That(session.IsOpen, Is.True);
        Assert.That(sessions.Ended, Is.Empty);

        await harness.StopAsync();
    }

    [Test]
    public async Task A_frame_the_transport_could_not_decode_is_decoded_in_Core_and_ends_the_session_as_a_decode_error_naming_its_size()
    {
        // Over the stream transport, whose frames are bytes: a registered session, then a message frame that does not parse.
        var (workerSide, engineSide) = DuplexPipeStream.CreatePair();
        var session = StreamTransport.OpenSession(workerSide, new WorkerSessionMetadata(["default"], "worker", null));
        var options = WorkerHarness.DefaultOptions();
        options.RegisterTimeout = TimeSpan.FromSeconds(5);
        var worker = AionWorker.CreateBuilder(options)
            .AddActivity<string, string>("echo", (input, _) => input)
            .UseLoggerFactory(TestLogs.Factory(new FakeLogCollector()))
            .Build();
        var ack = new ServerToWorker { RegisterAck = new RegisterAck { WorkerId = 1, Namespace = "default", HeartbeatWindowMs = 30_000 } };
        byte[] garbage = [0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF];
        await engineSide.WriteAsync(RawFrames.Message(ack).Concat(RawFrames.Frame(StreamFrameKind.Message, garbage)).ToArray()).AsTask().Within();

        var end = await worker.RunSessionAsync(session).Within();

        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.Error!.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(end.Error.IsRetryable, Is.True);
        Assert.That(end.Error.Message, Does.Contain("a frame of 6 bytes that does not decode"));
        Assert.That(end.Error.StatusCode, Is.Null, "a local decode failure is not reported as a status the engine sent");
    }

    private static async Task AssertDecodeErrorEndAsync(SessionRecorder sessions)
    {
        var end = await sessions.WaitForEndAsync();
        Assert.That(end.Kind, Is.EqualTo(SessionEndKind.Error));
        Assert.That(end.Error, Is.Not.Null);
        Assert.That(end.Error!.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(end.Error.IsRetryable, Is.True);
    }
}
