using System.Buffers;
using System.IO.Pipelines;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport;
using Aion.Worker.Transport.InMemory;
using Aion.Worker.Transport.Streams;
using Aion.Worker.Transport.Streams.Internal;
using Grpc.Core;

namespace Aion.Worker.Tests.Streams;

/// <summary>The engine side of the framing: hello, end frames and violations, over a pipe standing in for the worker.</summary>
public sealed class StreamEngineConnectionTests
{
    private static readonly WorkerSessionMetadata Metadata = new(["default"], "worker", null);

    private Pipe _toWorker = null!;
    private Pipe _toEngine = null!;
    private InMemoryEngine _engine = null!;
    private Task<Status> _serving = null!;

    [SetUp]
    public void SetUp()
    {
        _toWorker = new Pipe();
        _toEngine = new Pipe();
        _engine = new InMemoryEngine();
        var stream = new DuplexPipeStream(_toEngine.Reader, _toWorker.Writer);
        _serving = StreamEngineConnection.ServeAsync(_engine, stream);
    }

    [TearDown]
    public async Task TearDown()
    {
        // A worker that leaves: the engine side ends whatever the test left open.
        await _toEngine.Writer.CompleteAsync();
        await _serving.Within();
        _serving.Dispose();
        _engine.Dispose();
    }

    private static readonly WorkerToServer Register = new() { Register = new RegisterWorker { TaskQueue = "q", ActivityTypes = { "a" } } };

    private async Task WriteAsync(params byte[][] frames)
    {
        foreach (var frame in frames)
        {
            await _toEngine.Writer.WriteAsync(frame).AsTask().Within();
        }
    }

    private async Task<(StreamFrameKind Kind, byte[] Payload)> NextAsync()
    {
        var frame = await RawFrames.ReadAsync(_toWorker.Reader).Within();
        Assert.That(frame, Is.Not.Null, "the engine closed without another frame");
        return frame!.Value;
    }

    private async Task<Status> EndStatusAsync()
    {
        while (true)
        {
            var (kind, payload) = await NextAsync();
            if (kind == StreamFrameKind.End)
            {
                return ControlFrames.DecodeEnd(new ReadOnlySequence<byte>(payload));
            }
        }
    }

    [Test]
    public async Task First_frame_that_is_not_hello_is_refused_with_InvalidArgument()
    {
        await WriteAsync(RawFrames.Message(Register));

        var status = await EndStatusAsync();
        await _toEngine.Writer.CompleteAsync();
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(status.Detail, Does.Contain("hello"));
        Assert.That((await _serving.Within()).StatusCode, Is.EqualTo(StatusCode.InvalidArgument));
        Assert.That(_engine.Sessions, Is.Empty);
    }

    [Test]
    public async Task Hello_of_another_version_is_refused_with_FailedPrecondition()
    {
        await WriteAsync(RawFrames.Frame(StreamFrameKind.Hello, ControlFrames.EncodeHello(Metadata, version: 2)));

        var status = await EndStatusAsync();
        await _toEngine.Writer.CompleteAsync();
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.FailedPrecondition));
        await _serving.Within();
    }

    [Test]
    public async Task Hello_metadata_reaches_the_engine_and_close_frame_ends_the_call_ok()
    {
        await WriteAsync(
            RawFrames.Frame(StreamFrameKind.Hello, ControlFrames.EncodeHello(new WorkerSessionMetadata(["a", "b"], "svc", "tok"))),
            RawFrames.Message(Register));
        var (kind, payload) = await NextAsync();
        Assert.That(kind, Is.EqualTo(StreamFrameKind.Message));
        Assert.That(ServerToWorker.Parser.ParseFrom(payload).MessageCase, Is.EqualTo(ServerToWorker.MessageOneofCase.RegisterAck));

        var session = await _engine.WaitForSessionAsync(1).Within();
        Assert.That(session.Metadata.Namespaces, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(session.Metadata.Subject, Is.EqualTo("svc"));
        Assert.That(session.Metadata.BearerToken, Is.EqualTo("tok"));

        await WriteAsync(RawFrames.Frame(StreamFrameKind.Close, []));
        var status = await EndStatusAsync();
        await _toEngine.Writer.CompleteAsync();
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.OK));
        Assert.That((await session.Completion.Within()).StatusCode, Is.EqualTo(StatusCode.OK));
        Assert.That(session.WorkerClosed, Is.True);
        await _serving.Within();
    }

    [Test]
    public async Task Oversized_frame_from_the_worker_ends_the_call_with_ResourceExhausted()
    {
        await WriteAsync(RawFrames.Frame(StreamFrameKind.Hello, ControlFrames.EncodeHello(Metadata)), RawFrames.Message(Register));
        await _engine.WaitForSessionAsync(1).Within();

        await WriteAsync(RawFrames.Header(StreamFraming.DefaultMaxReceiveFrameSize + 1u));
        var status = await EndStatusAsync();
        await _toEngine.Writer.CompleteAsync();
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
        Assert.That(status.Detail, Does.Contain("max frame size"));
        Assert.That((await _serving.Within()).StatusCode, Is.EqualTo(StatusCode.ResourceExhausted));
    }

    [Test]
    public async Task Engine_status_is_written_unchanged_in_the_end_frame()
    {
        await WriteAsync(RawFrames.Frame(StreamFrameKind.Hello, ControlFrames.EncodeHello(Metadata)), RawFrames.Message(Register));
        var session = await _engine.WaitForSessionAsync(1).Within();

        session.Fail(new Status(StatusCode.Unavailable, "engine restarting"));
        var status = await EndStatusAsync();
        await _toEngine.Writer.CompleteAsync();
        Assert.That(status.StatusCode, Is.EqualTo(StatusCode.Unavailable));
        Assert.That(status.Detail, Is.EqualTo("engine restarting"));
        await _serving.Within();
    }
}
