using System.Net.Http;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.Grpc.Internal;

namespace Aion.Worker.Tests.Grpc;

/// <summary>The gRPC request body's flush policy: Grpc.Net.Client's per-message writes are buffered and leave in one write per flush.</summary>
public sealed class CoalescingRequestBodyTests
{
    [Test]
    public async Task Messages_written_back_to_back_leave_in_one_write_and_one_flush_when_the_session_flushes()
    {
        var inner = new RecordingStream();
        var body = new CoalescingRequestBody();
        body.Attach(inner);

        for (var i = 0; i < 10; i++)
        {
            var write = body.WriteAsync(new byte[] { (byte)i, 1, 2, 3, 4 });
            Assert.That(write.IsCompletedSuccessfully, Is.True, "a write below the bound completes at once");
        }

        Assert.That(inner.Writes, Is.Zero);
        Assert.That(body.Buffered, Is.EqualTo(50));
        await body.FlushPendingAsync(CancellationToken.None).AsTask().Within();

        Assert.That(inner.Writes, Is.EqualTo(1));
        Assert.That(inner.Flushes, Is.EqualTo(1));
        Assert.That(inner.Bytes.Count, Is.EqualTo(50));
        Assert.That(inner.Bytes[45], Is.EqualTo(9), "in order");

        // Nothing buffered: a flush writes nothing.
        await body.FlushPendingAsync(CancellationToken.None).AsTask().Within();
        Assert.That(inner.Writes, Is.EqualTo(1));

        // A lone message leaves with the next flush.
        await body.WriteAsync(new byte[] { 42 });
        await body.FlushPendingAsync(CancellationToken.None).AsTask().Within();
        Assert.That(inner.Writes, Is.EqualTo(2));
        Assert.That(inner.Bytes[^1], Is.EqualTo(42));
    }

    [Test]
    public async Task The_flush_grpc_makes_after_each_message_waits_for_the_sessions_flush()
    {
        // Grpc.Net.Client writes each message and then flushes the request stream: those flushes must
        // not write, or every result leaves in its own socket write again.
        var inner = new RecordingStream();
        var body = new CoalescingRequestBody();
        body.Attach(inner);

        await body.FlushAsync(CancellationToken.None).Within();
        Assert.That(inner.Flushes, Is.EqualTo(1), "with nothing buffered (the request headers) the flush is passed on");

        for (var i = 0; i < 5; i++)
        {
            await body.WriteAsync(new byte[] { (byte)i, 1, 2, 3, 4 });
            var flush = body.FlushAsync(CancellationToken.None);
            Assert.That(flush.IsCompletedSuccessfully, Is.True, "a per-message flush completes at once");
        }

        Assert.That((inner.Writes, inner.Flushes), Is.EqualTo((0, 1)), "nothing left before the session flushed");
        await body.FlushPendingAsync(CancellationToken.None).AsTask().Within();
        Assert.That((inner.Writes, inner.Flushes), Is.EqualTo((1, 2)), "the burst left in one write and one flush");
        Assert.That(inner.Bytes.Count, Is.EqualTo(25));
    }

    [Test]
    public async Task A_write_that_crosses_the_byte_bound_writes_and_flushes_everything_buffered()
    {
        var inner = new RecordingStream();
        var body = new CoalescingRequestBody();
        body.Attach(inner);
        var chunk = new byte[CoalescingRequestBody.MaxBufferedBytes / 4];

        for (var i = 0; i < 3; i++)
        {
            await body.WriteAsync(chunk);
        }

        Assert.That(inner.Writes, Is.Zero);
        await body.WriteAsync(chunk);
        Assert.That(inner.Writes, Is.EqualTo(1));
        Assert.That(inner.Flushes, Is.EqualTo(1), "every byte that left the buffer is flushed: the session's next flush finds nothing buffered");
        Assert.That(body.Buffered, Is.Zero);
    }

    [Test]
    public async Task A_failed_write_fails_the_flush_and_every_later_write_and_flush()
    {
        var inner = new RecordingStream { Failure = new IOException("stream reset") };
        var body = new CoalescingRequestBody();
        body.Attach(inner);
        await body.WriteAsync(new byte[] { 1 });

        var error = await Assert.CatchAsync<IOException>(async () => await body.FlushPendingAsync(CancellationToken.None));
        Assert.That(error!.Message, Is.EqualTo("stream reset"));
        await Assert.CatchAsync<IOException>(async () => await body.WriteAsync(new byte[] { 2 }));
        await Assert.CatchAsync<IOException>(async () => await body.FlushPendingAsync(CancellationToken.None));
    }

    [Test]
    public async Task A_flush_given_up_on_leaves_the_body_unusable_and_the_bytes_untouched()
    {
        var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inner = new RecordingStream { Hold = hold.Task };
        var body = new CoalescingRequestBody();
        body.Attach(inner);
        await body.WriteAsync(new byte[] { 1, 2, 3 });
        using var cancel = new CancellationTokenSource();

        var flush = body.FlushPendingAsync(cancel.Token).AsTask();
        cancel.Cancel();
        await Assert.CatchAsync<OperationCanceledException>(async () => await flush);
        await Assert.CatchAsync<ObjectDisposedException>(async () => await body.WriteAsync(new byte[] { 4 }));

        hold.SetResult();
        await Poll.UntilAsync(() => inner.Bytes.Count == 3, "the write in progress finishes on its own");
        Assert.That(inner.Bytes, Is.EqualTo(new byte[] { 1, 2, 3 }));
    }

    [Test]
    public async Task The_wrapped_request_content_keeps_its_headers_is_serialized_through_the_body_and_leaves_nothing_buffered_at_its_end()
    {
        var inner = new RecordingStream();
        var body = new CoalescingRequestBody();
        using var original = new ByteArrayContent([7, 8, 9]);
        original.Headers.TryAddWithoutValidation("Content-Type", "application/grpc");
        using var wrapped = body.Wrap(original);

        Assert.That(wrapped.Headers.ContentType?.MediaType, Is.EqualTo("application/grpc"));
        await wrapped.CopyToAsync(inner).Within();

        // The content ended (the request stream completed): nothing stays buffered behind its end.
        Assert.That((inner.Writes, inner.Flushes), Is.EqualTo((1, 1)));
        Assert.That(inner.Bytes, Is.EqualTo(new byte[] { 7, 8, 9 }));
        Assert.That(body.Buffered, Is.Zero);
    }

    private sealed class RecordingStream : Stream
    {
        private readonly List<byte> _bytes = [];
        private int _writes;

        public Exception? Failure { get; init; }

        public Task? Hold { get; init; }

        public int Writes => Volatile.Read(ref _writes);

        public int Flushes { get; private set; }

        public IReadOnlyList<byte> Bytes
        {
            get
            {
                lock (_bytes)
                {
                    return [.. _bytes];
                }
            }
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref _writes);
            if (Hold is { } hold)
            {
                await hold;
            }

            if (Failure is { } failure)
            {
                throw failure;
            }

            lock (_bytes)
            {
                _bytes.AddRange(buffer.ToArray());
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

        public override Task FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            return Task.CompletedTask;
        }

        public override void Flush() => Flushes++;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
