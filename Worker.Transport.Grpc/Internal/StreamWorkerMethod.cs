using System.Buffers;
using Aion.Worker.Protocol;
using Google.Protobuf;
using Grpc.Core;

namespace Aion.Worker.Transport.Grpc.Internal;

/// <summary>
/// <c>/aion.WorkerProtocol/StreamWorker</c> with a response marshaller that keeps a frame it cannot
/// parse: each response is either a <see cref="ServerToWorker"/> or, for bytes that do not parse, a
/// <see cref="byte"/> array of them, so the worker decides what a malformed frame costs instead of
/// Grpc.Net.Client failing the whole call. A well-formed frame costs no extra allocation.
/// </summary>
internal static class StreamWorkerMethod
{
    public static readonly Method<WorkerToServer, object> Instance = new(
        MethodType.DuplexStreaming,
        WorkerProtocol.Descriptor.FullName,
        "StreamWorker",
        Marshallers.Create<WorkerToServer>(Serialize, static _ => throw new NotSupportedException("The worker never reads its own frames.")),
        Marshallers.Create<object>(static (_, _) => throw new NotSupportedException("The worker never writes the engine's frames."), Deserialize));

    private static void Serialize(WorkerToServer message, SerializationContext context)
    {
        context.SetPayloadLength(message.CalculateSize());
        message.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    private static object Deserialize(DeserializationContext context)
    {
        var payload = context.PayloadAsReadOnlySequence();
        try
        {
            return ServerToWorker.Parser.ParseFrom(payload);
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or ArgumentException)
        {
            // ArgumentException: a string field that is not valid UTF-8 (DecoderFallbackException).
            return payload.ToArray();
        }
    }
}
