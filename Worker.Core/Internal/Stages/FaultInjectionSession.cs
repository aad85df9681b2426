using System.Globalization;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Grpc.Core;

namespace Aion.Worker.Internal.Stages;

/// <summary>
/// The built-in fault injection middleware. Sends and receives each draw from their own
/// <see cref="Random"/> (seeded from the seed and the connection number), so the faults of each
/// direction depend only on the seed and the frames of that direction; delays run on the worker's
/// clock. Once it ended the session, every call fails with the same <c>Unavailable</c> status.
/// </summary>
internal sealed class FaultInjectionSession : DelegatingWorkerSession
{
    private readonly FaultInjectionOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _sends;
    private readonly Random _receives;
    private int _frames;
    private RpcException? _ended;

    public FaultInjectionSession(IWorkerSession inner, SessionMiddlewareContext context, FaultInjectionOptions options)
        : base(inner)
    {
        _options = options;
        _time = context.TimeProvider;
        var seed = unchecked((options.Seed * 397) ^ (int)context.ConnectionNumber);
        _sends = new Random(seed);
        _receives = new Random(unchecked(seed * 31 + 17));
    }

    public override async ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
    {
        ThrowIfEnded();
        if (_options.SendDelay > TimeSpan.Zero)
        {
            await Task.Delay(_options.SendDelay, _time, cancellationToken).ConfigureAwait(false);
        }

        Count(_sends);
        await base.SendAsync(frame, cancellationToken).ConfigureAwait(false);
    }

    public override bool TryReceive(out InboundFrame frame)
    {
        if (Volatile.Read(ref _ended) is not null)
        {
            frame = default;
            return false;
        }

        while (base.TryReceive(out frame))
        {
            if (!LosesAck(frame))
            {
                // A frame that ends the session is reported by the next ReceiveAsync.
                return !CountReceived();
            }
        }

        return false;
    }

    public override async ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ThrowIfEnded();
            var frame = await base.ReceiveAsync(cancellationToken).ConfigureAwait(false);
            if (frame.IsEndOfStream || LosesAck(frame))
            {
                if (frame.IsEndOfStream)
                {
                    return frame;
                }

                continue;
            }

            if (CountReceived())
            {
                ThrowIfEnded();
            }

            return frame;
        }
    }

    private bool LosesAck(in InboundFrame frame) =>
        _options.AckLossProbability > 0
        && frame.Message?.MessageCase == ServerToWorker.MessageOneofCase.ResultAck
        && _receives.NextDouble() < _options.AckLossProbability;

    /// <summary>Counts a received frame; true when it ended the session.</summary>
    private bool CountReceived()
    {
        try
        {
            Count(_receives);
            return false;
        }
        catch (RpcException)
        {
            return true;
        }
    }

    private void Count(Random random)
    {
        var frames = Interlocked.Increment(ref _frames);
        if (_options.EndSessionAfterFrames is { } limit && frames > limit)
        {
            End(string.Create(CultureInfo.InvariantCulture, $"Fault injection ended the session after {frames - 1} frames."));
        }

        if (_options.EndSessionProbability > 0 && random.NextDouble() < _options.EndSessionProbability)
        {
            End(string.Create(CultureInfo.InvariantCulture, $"Fault injection ended the session at frame {frames} (seed {_options.Seed})."));
        }
    }

    private void End(string message)
    {
        var error = new RpcException(new Status(StatusCode.Unavailable, message));
        Interlocked.CompareExchange(ref _ended, error, null);
        throw Volatile.Read(ref _ended)!;
    }

    private void ThrowIfEnded()
    {
        if (Volatile.Read(ref _ended) is { } error)
        {
            throw error;
        }
    }
}
