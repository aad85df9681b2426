using System.Buffers;
using System.IO.Pipelines;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport;
using Aion.Worker.Transport.Streams;
using Aion.Worker.Transport.Streams.Internal;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Tests.Streams;

/// <summary>The worker side of the framing, driven byte by byte from a pipe standing in for the engine.</summary>
public sealed class StreamFramingTests
{
    private static readonly WorkerSessionMetadata Metadata = new(["billing", "ops"], "svc-worker", "token-1");

    private Pipe _toWorker = null!;
    private Pipe _toEngine = null!;
    private DuplexPipeStream _stream = null!;

    [SetUp]
    public void SetUp()
    {
        _toWorker = new Pipe();
        _toEngine = new Pipe();
        _stream = new DuplexPipeStream(_toWorker.Reader, _toEngine.Writer);
    }

    [TearDown]
    public void TearDown() => _stream.Dispose();

    private static ServerToWorker Ack(ulong workerId) => new() { RegisterAck = new RegisterAck { WorkerId = workerId, Namespace = "billing,ops", HeartbeatWindowMs = 30_000 } };

    private static ServerToWorker TaskFrame(ulong position) => new()
    {
        Task = new ActivityTask
        {
            WorkflowId = new WorkflowId { Uuid = "0b5e1d7c-4a3b-4c55-9a77-2f9a2b3c4d5e" },
            ActivityId = new ActivityId { SequencePosition = position },
            ActivityType = "billing.charge",
            Input = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("""{"amount":1999}""") },
            Attempt = 1,
            Labels = { ["team"] = "billing" },
        },
    };

    private static WorkerToServer Beat(ulong position) => new()
    {
        Heartbeat = new Heartbeat { WorkflowId = new WorkflowId { Uuid = "w" }, ActivityId = new ActivityId { SequencePosition = position } },
    };

    private IWorkerSession Open(StreamTransportOptions? options = null) =>
        StreamTransport.OpenSession(_stream, Metadata, options);

    private async Task FeedAsync(byte[] bytes)
    {
        await _toWorker.Writer.WriteAsync(bytes).AsTask().Within();
    }

    private async Task FeedByteByByteAsync(byte[] bytes)
    {
        foreach (var b in bytes)
        {
            await _toWorker.Writer.WriteAsync(new[] { b }).AsTask().Within();
        }
    }

    [Test]
    public async Task Hello_frame_goes_first_with_a_big_endian_length_and_kind_then_message_frames()
    {
        await using var session = Open();
        var register = new WorkerToServer { Register = new RegisterWorker { TaskQueue = "q", ActivityTypes = { "a", "b" } } };
        await session.SendAsync(register, CancellationToken.None).AsTask().Within();
        await session.FlushAsync(CancellationToken.None).AsTask().Within();

        var raw = await ReadRawAsync(2);
        var expectedHello = ControlFrames.EncodeHello(Metadata);
        Assert.That(raw[..5], Is.EqualTo(new byte[] { 0, 0, 0, (byte)expectedHello.Length, 0x01 }));

        var hello = await RawFrames.ReadAsync(PipeReader.Create(new ReadOnlySequence<byte>(raw))).Within();
        Assert.That(hello!.Value.Kind, Is.EqualTo(StreamFrameKind.Hello));
        var (version, metadata) = ControlFrames.DecodeHello(new ReadOnlySequence<byte>(hello.Value.Payload));
        Assert.That(version, Is.EqualTo(StreamFraming.ProtocolVersion));
        Assert.That(metadata.Namespaces, Is.EqualTo(new[] { "billing", "ops" }));
        Assert.That(metadata.Subject, Is.EqualTo("svc-worker"));
        Assert.That(metadata.BearerToken, Is.EqualTo("token-1"));

        var message = raw.AsSpan(StreamFraming.HeaderSize + hello.Value.Payload.Length).ToArray();
        Assert.That(message, Is.EqualTo(RawFrames.Message(register)));
    }

    [Test]
    public async Task Frames_fed_byte_by_byte_are_reassembled_in_order()
    {
        await using var session = Open();
        var receive = ReceiveTwoAsync(session);
        var bytes = RawFrames.Message(Ack(7)).Concat(RawFrames.Message(TaskFrame(3))).ToArray();
        await FeedByteByByteAsync(bytes);

        var (first, second) = await receive.Within();
        Assert.That(first, Is.EqualTo(Ack(7)));
        Assert.That(second, Is.EqualTo(TaskFrame(3)));
    }

    [Test]
    public async Task Several_frames_in_one_read_come_out_one_per_receive_then_end_ok_is_null()
    {
        await using var session = Open();
        var bytes = RawFrames.Message(Ack(1))
            .Concat(RawFrames.Message(TaskFrame(1)))
            .Concat(RawFrames.Message(TaskFrame(2)))
            .Concat(RawFrames.Frame(StreamFrameKind.End, []))
            .ToArray();
        await FeedAsync(bytes);

        Assert.That(await ReceiveMessageAsync(session).Within(), Is.EqualTo(Ack(1)));
        Assert.That(await ReceiveMessageAsync(session).Within(), Is.EqualTo(TaskFrame(1)));
        Assert.That(await ReceiveMessageAsync(session).Within(), Is.EqualTo(TaskFrame(2)));
        Assert.That(await ReceiveMessageAsync(session).Within(), Is.Null);
        Assert.That(await ReceiveMessageAsync(session).Within(), Is.Null);

        // A send after a clean end fails with status OK: a clean close, as with gRPC.
        var send = await CatchAsync<RpcException>(session.SendAsync(Beat(1), CancellationToken.None).AsTask());
        Assert.That(send.StatusCode, Is.EqualTo(StatusCode.OK));
    }

    [Test]
    public async Task End_frame_with_an_error_status_surfaces_its_code_and_message_unchanged()
    {
        await using var session = Open();
        var end = ControlFrames.EncodeEnd(new Status(StatusCode.PermissionDenied, "namespace 'ops' not granted to subject 'svc-worker'"));
        await FeedAsync(RawFrames.Frame(StreamFrameKind.End, end));

        var error = await CatchAsync<RpcException>(ReceiveMessageAsync(session));
        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
        Assert.That(error.Status.Detail, Is.EqualTo("namespace 'ops' not granted to subject 'svc-worker'"));

        var sendError = await CatchAsync<RpcException>(session.SendAsync(Beat(1), CancellationToken.None).AsTask());
        Assert.That(sendError.StatusCode, Is.EqualTo(StatusCode.PermissionDenied));
    }

    [Test]
    public async Task Oversized_length_prefix_is_a_protocol_error_before_any_payload_arrives()
    {
        await using var session = Open(new StreamTransportOptions { Frames = { MaxReceiveFrameSize = 1024 } });
        await FeedAsync(RawFrames.Header(1025));

        var error = await CatchAsync<AionWorkerException>(ReceiveMessageAsync(session));
        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.Contain("1025 bytes").And.Contain("1024 bytes"));

        // The session stays failed: every later receive repeats the error instead of reading on.
        var again = await CatchAsync<AionWorkerException>(ReceiveMessageAsync(session));
        Assert.That(again, Is.SameAs(error));
    }

    [Test]
    public async Task Default_limits_are_a_64_MiB_receive_cap_and_4_MiB_sends_and_a_frame_of_exactly_the_limit_is_accepted()
    {
        await using var session = Open(new StreamTransportOptions { Frames = { MaxReceiveFrameSize = 64 } });
        var frame = Ack(1);
        var options = new StreamTransportOptions();
        Assert.That(options.Frames.MaxReceiveFrameSize, Is.EqualTo(64 * 1024 * 1024), "the wire cap: a task over MaxTaskInputSize is read and reported");
        Assert.That(options.Frames.MaxSendFrameSize, Is.EqualTo(4 * 1024 * 1024));

        var padded = new ServerToWorker(frame);
        padded.RegisterAck.Namespace = new string('n', 64 - (frame.CalculateSize() - frame.RegisterAck.Namespace.Length));
        Assert.That(padded.CalculateSize(), Is.EqualTo(64));
        await FeedAsync(RawFrames.Message(padded));
        Assert.That(await ReceiveMessageAsync(session).Within(), Is.EqualTo(padded));
    }

    [Test]
    public async Task Unknown_frame_kind_is_a_protocol_error()
    {
        await using var session = Open();
        await FeedAsync(RawFrames.Frame(0x7F, [1, 2, 3]));

        var error = await CatchAsync<AionWorkerException>(ReceiveMessageAsync(session));
        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("0x7f"));
    }

    [Test]
    public async Task Garbage_payload_in_a_message_frame_reaches_the_worker_as_an_undecodable_frame_with_its_bytes()
    {
        await using var session = Open();
        byte[] garbage = [0xFF, 0xFF, 0xFF, 0xFF];
        await FeedAsync(RawFrames.Message(Ack(1)).Concat(RawFrames.Frame(StreamFrameKind.Message, garbage)).Concat(RawFrames.Message(TaskFrame(1))).ToArray());

        Assert.That(await ReceiveMessageAsync(session), Is.EqualTo(Ack(1)));
        var frame = await session.ReceiveAsync(CancellationToken.None).AsTask().Within();
        Assert.That(frame.Kind, Is.EqualTo(InboundFrameKind.Undecodable));
        Assert.That(frame.Bytes.ToArray(), Is.EqualTo(garbage));
        Assert.That(frame.Size, Is.EqualTo(garbage.Length));

        // The session goes on: the worker, not the transport, decides what the frame costs.
        Assert.That(await ReceiveMessageAsync(session), Is.EqualTo(TaskFrame(1)));
    }

    [Test]
    public async Task Peer_closing_in_the_middle_of_a_frame_is_a_retryable_transport_error()
    {
        await using var session = Open();
        var frame = RawFrames.Message(TaskFrame(1));
        var receive = ReceiveMessageAsync(session);
        await FeedByteByByteAsync(frame[..(frame.Length - 3)]);
        await _toWorker.Writer.CompleteAsync().AsTask().Within();

        var error = await CatchAsync<AionWorkerException>(receive);
        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Transport));
        Assert.That(error.IsRetryable, Is.True);
        Assert.That(error.Message, Does.Contain("middle of a frame"));
    }

    [Test]
    public async Task Peer_closing_between_frames_without_an_end_frame_is_a_transport_error()
    {
        await using var session = Open();
        await FeedAsync(RawFrames.Message(Ack(1)));
        await _toWorker.Writer.CompleteAsync().AsTask().Within();

        Assert.That(await ReceiveMessageAsync(session).Within(), Is.EqualTo(Ack(1)));
        var error = await CatchAsync<AionWorkerException>(ReceiveMessageAsync(session));
        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Transport));
        Assert.That(error.Message, Does.Contain("without an end frame"));
    }

    [Test]
    public async Task A_burst_of_sends_leaves_in_one_write_when_flushed()
    {
        await using var session = Open();

        // Sends encode into the connection's buffer on the caller's task; nothing is written yet, not even the hello.
        for (ulong i = 1; i <= 50; i++)
        {
            var send = session.SendAsync(Beat(i), CancellationToken.None);
            Assert.That(send.IsCompletedSuccessfully, Is.True, "a send below the bounds completes at once");
        }

        Assert.That(_stream.Writes, Is.Zero);
        await session.FlushAsync(CancellationToken.None).AsTask().Within();
        var raw = await ReadRawAsync(51);

        Assert.That(_stream.Writes, Is.EqualTo(1), "the hello and the 50 frames leave in one write");
        Assert.That(raw.Length, Is.EqualTo(ControlFrames.EncodeHello(Metadata).Length + 5 + Enumerable.Range(1, 50).Sum(i => RawFrames.Message(Beat((ulong)i)).Length)));

        // A lone frame leaves with the next flush, at once.
        await session.SendAsync(Beat(51), CancellationToken.None).AsTask().Within();
        await session.FlushAsync(CancellationToken.None).AsTask().Within();
        Assert.That(_stream.Writes, Is.EqualTo(2));
        Assert.That(await ReadRawAsync(1), Is.EqualTo(RawFrames.Message(Beat(51))));
    }

    [Test]
    public async Task A_send_that_finds_SendQueueCapacity_frames_buffered_writes_them_through()
    {
        await using var session = Open(new StreamTransportOptions { Frames = { SendQueueCapacity = 4 } });

        // The hello counts: the third send makes four buffered frames and writes them.
        await session.SendAsync(Beat(1), CancellationToken.None).AsTask().Within();
        await session.SendAsync(Beat(2), CancellationToken.None).AsTask().Within();
        Assert.That(_stream.Writes, Is.Zero);
        await session.SendAsync(Beat(3), CancellationToken.None).AsTask().Within();
        Assert.That(_stream.Writes, Is.EqualTo(1));
        var raw = await ReadRawAsync(4);
        Assert.That(raw.AsSpan(raw.Length - RawFrames.Message(Beat(3)).Length).ToArray(), Is.EqualTo(RawFrames.Message(Beat(3))));
    }

    [Test]
    public async Task Sends_are_buffered_and_FlushAsync_completes_once_every_frame_sent_before_it_reached_the_stream()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _stream.WriteGate = gate.Task;
        await using var session = Open();

        // Sends complete at once (buffered); the flush waits until they were written.
        await session.SendAsync(Beat(1), CancellationToken.None).AsTask().Within();
        await session.SendAsync(Beat(2), CancellationToken.None).AsTask().Within();
        var flush = session.FlushAsync(CancellationToken.None).AsTask();
        await Poll.HoldsAsync(() => !flush.IsCompleted, "the flush waits while the stream holds the writes", TimeSpan.FromMilliseconds(50));

        gate.SetResult();
        await flush.Within();
        var raw = await ReadRawAsync(3);
        Assert.That(raw.AsSpan(raw.Length - (2 * RawFrames.Message(Beat(1)).Length)).ToArray(), Is.EqualTo(RawFrames.Message(Beat(1)).Concat(RawFrames.Message(Beat(2))).ToArray()));

        // Nothing new to flush: completes at once.
        Assert.That(session.FlushAsync(CancellationToken.None).IsCompletedSuccessfully, Is.True);
    }

    [Test]
    public async Task A_failed_flush_fails_every_later_send_and_flush_with_the_connection_failure()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _stream.WriteGate = gate.Task;
        await using var session = Open();
        await session.SendAsync(Beat(1), CancellationToken.None).AsTask().Within();
        var flush = session.FlushAsync(CancellationToken.None).AsTask();
        gate.SetException(new IOException("connection reset"));

        var error = await CatchAsync<IOException>(flush);
        Assert.That(error.Message, Does.Contain("connection reset"));
        Assert.That(await CatchAsync<IOException>(session.SendAsync(Beat(2), CancellationToken.None).AsTask()), Is.Not.Null);
        Assert.That(await CatchAsync<IOException>(session.FlushAsync(CancellationToken.None).AsTask()), Is.Not.Null);
    }

    [Test]
    public async Task Flush_after_the_engine_ended_the_stream_fails_with_its_status()
    {
        await using var session = Open();
        await FeedAsync(RawFrames.Frame(StreamFrameKind.End, []));
        Assert.That(await ReceiveMessageAsync(session), Is.Null);

        var error = await CatchAsync<RpcException>(session.FlushAsync(CancellationToken.None).AsTask());
        Assert.That(error.StatusCode, Is.EqualTo(StatusCode.OK), "a clean close, as for a send");
    }

    [Test]
    public async Task TryReceive_takes_frames_already_buffered_without_waiting_and_leaves_the_end_to_ReceiveAsync()
    {
        await using var session = Open();
        Assert.That(session.TryReceive(out _), Is.False, "nothing buffered yet");

        await FeedAsync(RawFrames.Message(Ack(1))
            .Concat(RawFrames.Message(TaskFrame(1)))
            .Concat(RawFrames.Message(TaskFrame(2)))
            .Concat(RawFrames.Frame(StreamFrameKind.End, []))
            .ToArray());

        // The first receive pulls the whole buffer; the frames behind it are then taken synchronously.
        Assert.That(await ReceiveMessageAsync(session), Is.EqualTo(Ack(1)));
        Assert.That(session.TryReceive(out var first), Is.True);
        Assert.That(first.Message, Is.EqualTo(TaskFrame(1)));
        Assert.That(session.TryReceive(out var second), Is.True);
        Assert.That(second.Message, Is.EqualTo(TaskFrame(2)));

        Assert.That(session.TryReceive(out _), Is.False, "the end frame is reported by ReceiveAsync");
        Assert.That((await session.ReceiveAsync(CancellationToken.None).AsTask().Within()).IsEndOfStream, Is.True);
    }

    [Test]
    public async Task Outbound_frame_over_the_send_limit_fails_with_a_protocol_error_and_writes_nothing()
    {
        await using var session = Open(new StreamTransportOptions { Frames = { MaxSendFrameSize = 256 } });
        var big = new WorkerToServer
        {
            Result = new ActivityResult
            {
                WorkflowId = new WorkflowId { Uuid = "w" },
                ActivityId = new ActivityId { SequencePosition = 1 },
                Result = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFrom(new byte[300]) },
            },
        };

        var error = await CatchAsync<AionWorkerException>(session.SendAsync(big, CancellationToken.None).AsTask());
        Assert.That(error.Kind, Is.EqualTo(AionErrorKind.Protocol));
        Assert.That(error.Message, Does.Contain("256 bytes"));

        await session.SendAsync(Beat(1), CancellationToken.None).AsTask().Within();
        await session.FlushAsync(CancellationToken.None).AsTask().Within();
        var raw = await ReadRawAsync(2);
        Assert.That(raw.AsSpan(raw.Length - RawFrames.Message(Beat(1)).Length).ToArray(), Is.EqualTo(RawFrames.Message(Beat(1))));
    }

    [Test]
    public async Task Complete_writes_an_empty_close_frame_after_everything_queued()
    {
        await using var session = Open();
        await session.SendAsync(Beat(1), CancellationToken.None).AsTask().Within();
        await session.CompleteAsync(CancellationToken.None).AsTask().Within();

        var reader = _toEngine.Reader;
        Assert.That((await RawFrames.ReadAsync(reader).Within())!.Value.Kind, Is.EqualTo(StreamFrameKind.Hello));
        Assert.That((await RawFrames.ReadAsync(reader).Within())!.Value.Kind, Is.EqualTo(StreamFrameKind.Message));
        var close = (await RawFrames.ReadAsync(reader).Within())!.Value;
        Assert.That(close.Kind, Is.EqualTo(StreamFrameKind.Close));
        Assert.That(close.Payload, Is.Empty);
    }

    [Test]
    public async Task Receive_honours_its_cancellation_token_while_waiting_for_bytes()
    {
        await using var session = Open();
        using var cancel = new CancellationTokenSource();
        var receive = ReceiveMessageAsync(session, cancel.Token);
        await FeedAsync(RawFrames.Header(10));
        cancel.Cancel();

        Assert.That(await CatchAsync<OperationCanceledException>(receive), Is.Not.Null);
    }

    private static async Task<(ServerToWorker?, ServerToWorker?)> ReceiveTwoAsync(IWorkerSession session)
    {
        var first = await ReceiveMessageAsync(session);
        var second = await ReceiveMessageAsync(session);
        return (first, second);
    }

    /// <summary>The next frame's message; <see langword="null"/> at the end of the stream.</summary>
    private static async Task<ServerToWorker?> ReceiveMessageAsync(IWorkerSession session, CancellationToken cancellationToken = default)
    {
        var frame = await session.ReceiveAsync(cancellationToken);
        Assert.That(frame.Kind, Is.Not.EqualTo(InboundFrameKind.Undecodable), "a frame did not decode");
        return frame.Message;
    }

    /// <summary>Reads what the worker wrote until <paramref name="frames"/> whole frames arrived.</summary>
    private async Task<byte[]> ReadRawAsync(int frames)
    {
        var collected = new List<byte>();
        for (var i = 0; i < frames; i++)
        {
            var frame = await RawFrames.ReadAsync(_toEngine.Reader).Within();
            Assert.That(frame, Is.Not.Null, "the worker ended its stream early");
            collected.AddRange(RawFrames.Frame(frame!.Value.Kind, frame.Value.Payload));
        }

        return [.. collected];
    }

    private static async Task<T> CatchAsync<T>(Task task)
        where T : Exception
    {
        try
        {
            await task.Within();
        }
        catch (T expected)
        {
            return expected;
        }

        Assert.Fail($"Expected {typeof(T).Name}, but the call succeeded.");
        return null!;
    }

    private static async Task WaitForAsync(Func<bool> condition)
    {
        using var bound = new CancellationTokenSource(Bounds.Default);
        while (!condition())
        {
            await Task.Delay(1, bound.Token);
        }
    }
}
