using System.Buffers;
using System.IO.Pipelines;

namespace Aion.Worker.Tests.Streams;

/// <summary>A duplex <see cref="Stream"/> over two pipes: reads from one, writes to the other. Counts writes and can hold them.</summary>
public sealed class DuplexPipeStream(PipeReader input, PipeWriter output) : Stream
{
    private int _writes;
    private volatile bool _disposed;

    /// <summary>Stream writes so far (one per flushed buffer segment).</summary>
    public int Writes => Volatile.Read(ref _writes);

    /// <summary>When set, every write waits for it first (a peer that is slow to read).</summary>
    public Task? WriteGate { get; set; }

    public bool IsDisposed => _disposed;

    public override bool CanRead => true;
    public override bool CanWrite => true;
    public override bool CanSeek => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <summary>Two connected streams: what one writes the other reads.</summary>
    public static (DuplexPipeStream Worker, DuplexPipeStream Engine) CreatePair()
    {
        var toEngine = new Pipe();
        var toWorker = new Pipe();
        return (new DuplexPipeStream(toWorker.Reader, toEngine.Writer), new DuplexPipeStream(toEngine.Reader, toWorker.Writer));
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var result = await input.ReadAsync(cancellationToken);
        if (result.IsCanceled)
        {
            throw new ObjectDisposedException(nameof(DuplexPipeStream));
        }

        var available = result.Buffer;
        if (available.IsEmpty && result.IsCompleted)
        {
            input.AdvanceTo(available.End);
            return 0;
        }

        var count = (int)Math.Min(available.Length, buffer.Length);
        available.Slice(0, count).CopyTo(buffer.Span);
        input.AdvanceTo(available.GetPosition(count));
        return count;
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Interlocked.Increment(ref _writes);
        if (WriteGate is { } gate)
        {
            await gate.WaitAsync(cancellationToken);
        }

        await output.WriteAsync(buffer, cancellationToken);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            output.Complete();
            input.CancelPendingRead();
        }

        base.Dispose(disposing);
    }

    public override ValueTask DisposeAsync()
    {
        Dispose(true);
        return default;
    }
}
