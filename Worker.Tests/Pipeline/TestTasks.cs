using Aion.Worker.Codec;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Pipeline;

/// <summary>Raw task frames for <see cref="Transport.InMemory.EngineSession.SendTask"/> (not followed by the engine).</summary>
internal static class TestTasks
{
    public static ActivityTask Blocking(string workflowId, ulong position, uint attempt, string input) => new()
    {
        WorkflowId = new WorkflowId { Uuid = workflowId },
        ActivityId = new ActivityId { SequencePosition = position },
        ActivityType = BlockingActivity.Type,
        Input = JsonPayloadCodec.Default.Encode(input),
        Attempt = attempt,
    };

    /// <summary>A frame with only an unknown field: the worker skips it and logs it, so it works as an in-order barrier for the reader.</summary>
    public static readonly byte[] UnknownFrame = [0x98, 0x06, 0x01];

    public const int UnknownFrameSkippedLogId = 11;
}
