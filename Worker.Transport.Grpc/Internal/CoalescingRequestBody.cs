using System.Net;

namespace Aion.Worker.Transport.Grpc.Internal;

/// <summary>
/// The request body of one <c>StreamWorker</c> call, between Grpc.Net.Client and the HTTP/2 request
/// stream: every gRPC message Grpc.Net.Client writes (5-byte prefix + payload, already framed) is
/// appended to a buffer and the write completes at once; <see cref="FlushPendingAsync"/> — the
/// session's <c>FlushAsync</c>, called by Core whenever its send queue runs empty — writes the whole
/// buffer to the HTTP/2 stream in one write and flushes it. A burst of frames leaves in one DATA
/// frame and one socket write instead of one each, and a frame costs no await and no thread-pool hop.
/// </summary>
/// <remarks>
/// Grpc.Net.Client keeps everything else: the call, its headers, message framing, size limits,
/// status and trailers. Only the bytes' way to the socket changes. When more than
/// <see cref="MaxBufferedBytes"/> are buffered, the write that crosses it writes and flushes them
/// (and waits, so a peer that stopped reading pushes back): every byte that left the buffer was flushed. Used by one writer at a time (the session's
/// sending task), as the session contract guarantees.
/// </remarks>
internal sealed class CoalescingRequestBody : Stream
{
    /// <summary>Write through once this many bytes are buffered.</summary>
    internal const int MaxBufferedBytes = 32 * 1024;

    private byte[] _buffer = new byte[4096];
    private int _length;
    private Stream? _inner;
    private Exception? _fault;

    /// <summary>Bytes buffered and not yet written to the HTTP/2 stream.</summary>
    public int Buffered => _length;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>The HTTP/2 request stream the buffered bytes go to; set when the request body starts.</summary>
    internal void Attach(Stream inner) => _inner = inner;

    /// <summary>Wraps the call's request content so its stream is this body.</summary>
    public HttpContent Wrap(HttpContent content) => new Content(content, this);

    /// <summary>Writes every buffered byte to the HTTP/2 stream and flushes it.</summary>
    /// <remarks>A failure (or an abandoned wait) is recorded: every later write and flush repeats it.</remarks>
    public ValueTask FlushPendingAsync(CancellationToken cancellationToken)
    {
        if (_fault is { } fault)
        {
            return ValueTask.FromException(fault);
        }

        return _length == 0 || _inner is null ? default : WriteThroughAsync(cancellationToken);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_fault is { } fault)
        {
            return ValueTask.FromException(fault);
        }

        Append(buffer.Span);

        // Flushed too: the HTTP/2 stream may keep written bytes in its connection buffer until a flush,
        // and the session's next flush finds nothing buffered here.
        return _length >= MaxBufferedBytes ? WriteThroughAsync(cancellationToken) : default;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The request body is written asynchronously.");

    /// <summary>
    /// Grpc.Net.Client flushes after every message it writes: while messages are buffered that flush
    /// does nothing (they leave with the session's <see cref="FlushPendingAsync"/>, one write for the
    /// burst); with nothing buffered — the request headers at the start of the call — it is passed on.
    /// </summary>
    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        if (_fault is { } fault)
        {
            return Task.FromException(fault);
        }

        return _length > 0 ? Task.CompletedTask : _inner?.FlushAsync(cancellationToken) ?? Task.CompletedTask;
    }

    public override void Flush() => throw new NotSupportedException("The request body is flushed asynchronously.");

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Append(ReadOnlySpan<byte> bytes)
    {
        if (_buffer.Length - _length < bytes.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + bytes.Length));
        }

        bytes.CopyTo(_buffer.AsSpan(_length));
        _length += bytes.Length;
    }

    private async ValueTask WriteThroughAsync(CancellationToken cancellationToken)
    {
        // The worker's token only stops the wait: a cancelled write would abort the whole call. The
        // session ends after a write that failed or was given up, and the fault is kept so the
        // buffer, possibly still being written, is never reused.
        var inner = _inner!;
        var write = WriteAndFlushAsync(inner, _buffer.AsMemory(0, _length));
        try
        {
            await write.WaitAsync(cancellationToken).ConfigureAwait(false);
            _length = 0;
        }
        catch (Exception ex)
        {
            _fault = ex is OperationCanceledException && cancellationToken.IsCancellationRequested
                ? new ObjectDisposedException(nameof(CoalescingRequestBody), "A write to the request body was abandoned; the session is over.")
                : ex;
            _ = write.ContinueWith(static t => _ = t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            throw;
        }
    }

    private static async Task WriteAndFlushAsync(Stream inner, ReadOnlyMemory<byte> bytes)
    {
        await inner.WriteAsync(bytes, CancellationToken.None).ConfigureAwait(false);
        await inner.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    /// <summary>Grpc.Net.Client's request content, serialized into the body instead of straight into the HTTP/2 stream.</summary>
    private sealed class Content : HttpContent
    {
        private readonly HttpContent _inner;
        private readonly CoalescingRequestBody _body;

        public Content(HttpContent inner, CoalescingRequestBody body)
        {
            _inner = inner;
            _body = body;
            foreach (var header in inner.Headers)
            {
                Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }

        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
            SerializeToStreamAsync(stream, context, CancellationToken.None);

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
        {
            _body.Attach(stream);
            await _inner.CopyToAsync(_body, context, cancellationToken).ConfigureAwait(false);

            // The request stream ended: nothing may stay buffered behind its end.
            await _body.FlushPendingAsync(cancellationToken).ConfigureAwait(false);
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                _inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>Puts the body under the call's request content; one handler per channel, one call per channel.</summary>
    internal sealed class Handler(HttpMessageHandler inner, CoalescingRequestBody body) : DelegatingHandler(inner)
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.Content is { } content)
            {
                request.Content = body.Wrap(content);
            }

            return base.SendAsync(request, cancellationToken);
        }
    }
}
