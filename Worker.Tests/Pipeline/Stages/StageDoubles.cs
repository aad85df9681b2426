using System.Collections.Concurrent;
using Aion.Worker.Pipeline;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Google.Protobuf;

namespace Aion.Worker.Tests.Pipeline.Stages;

/// <summary>An inbound stage that records each call, and decides by the task's input (a JSON string).</summary>
public sealed class RecordingStage(string name, ConcurrentQueue<string> calls) : IInboundStage
{
    private int _inside;

    public Func<string, ValueTask<InboundDecision>>? Decide { get; set; }

    public int MaxInside { get; private set; }

    public async ValueTask<InboundDecision> OnTaskAsync(InboundTaskContext task, CancellationToken cancellationToken)
    {
        var inside = Interlocked.Increment(ref _inside);
        MaxInside = Math.Max(MaxInside, inside);
        try
        {
            var input = System.Text.Encoding.UTF8.GetString(task.Input.Span).Trim('"');
            calls.Enqueue($"{name}:{input}");
            return Decide is null ? InboundDecision.Admit : await Decide(input);
        }
        finally
        {
            Interlocked.Decrement(ref _inside);
        }
    }
}

/// <summary>An outbound stage that wraps every payload's bytes in brackets and counts its calls per kind.</summary>
public sealed class BracketStage : IOutboundStage
{
    public ConcurrentQueue<OutboundPayloadKind> Calls { get; } = new();

    public Func<OutboundPayloadKind, bool>? ThrowOn { get; set; }

    public ValueTask<Payload> TransformAsync(OutboundPayloadContext payload, CancellationToken cancellationToken)
    {
        Calls.Enqueue(payload.Kind);
        if (ThrowOn?.Invoke(payload.Kind) == true)
        {
            throw new InvalidOperationException("the key vault is unreachable");
        }

        var bytes = "[" + payload.Payload.Bytes.ToStringUtf8() + "]";
        return new(new Payload { ContentType = payload.Payload.ContentType, Bytes = ByteString.CopyFromUtf8(bytes) });
    }
}

/// <summary>Session middleware that records every frame both ways.</summary>
public sealed class TapSession(IWorkerSession inner, ConcurrentQueue<string> frames) : DelegatingWorkerSession(inner)
{
    public override ValueTask SendAsync(WorkerToServer frame, CancellationToken cancellationToken)
    {
        frames.Enqueue("out:" + frame.MessageCase);
        return base.SendAsync(frame, cancellationToken);
    }

    public override bool TryReceive(out InboundFrame frame)
    {
        if (!base.TryReceive(out frame))
        {
            return false;
        }

        frames.Enqueue("in:" + frame.Message?.MessageCase);
        return true;
    }

    public override async ValueTask<InboundFrame> ReceiveAsync(CancellationToken cancellationToken)
    {
        var frame = await base.ReceiveAsync(cancellationToken);
        frames.Enqueue("in:" + frame.Message?.MessageCase);
        return frame;
    }
}
