using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Google.Protobuf;

namespace Aion.Worker.Internal.Session;

/// <summary>
/// The protocol rules for the engine's frames after registration, with no state: decoding a frame
/// the transport could not decode, and the first problem of a malformed task or ack. A problem is
/// a decode error that ends the session.
/// </summary>
internal static class FrameValidator
{
    /// <summary>The message a receive produced, decoding an undecodable frame's bytes in Core; <see langword="null"/> and the problem when they do not decode.</summary>
    /// <remarks>Called for <see cref="InboundFrameKind.Message"/> and <see cref="InboundFrameKind.Undecodable"/> frames only.</remarks>
    public static ServerToWorker? Decode(in InboundFrame frame, out string? problem)
    {
        problem = null;
        if (frame.Message is { } message)
        {
            return message;
        }

        // The transport kept what it could not decode (its deserializer may be stricter than ours).
        if (frame.Bytes.Length == frame.Size)
        {
            try
            {
                return ServerToWorker.Parser.ParseFrom(frame.Bytes.Span);
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or ArgumentException)
            {
                // Issue #14: a task frame whose ids still decode will be reported TERMINAL with its
                // ids here, instead of ending the session.
                problem = $"a frame of {frame.Size} bytes that does not decode ({ex.Message})";
                return null;
            }
        }

        problem = $"a frame of {frame.Size} bytes that the transport could not decode";
        return null;
    }

    /// <summary>The first problem of a malformed task, or <see langword="null"/>.</summary>
    public static string? TaskProblem(ActivityTask task)
    {
        if (task.WorkflowId is null || task.WorkflowId.Uuid.Length == 0)
        {
            return "a task without a workflow id";
        }

        if (task.ActivityId is null)
        {
            return $"a task of workflow {task.WorkflowId.Uuid} without an activity id";
        }

        if (task.ActivityType.Length == 0)
        {
            return $"task {task.WorkflowId.Uuid}/{task.ActivityId.SequencePosition} with an empty activity type";
        }

        if (task.Input is null)
        {
            return $"task {task.WorkflowId.Uuid}/{task.ActivityId.SequencePosition} without an input";
        }

        if (task.Attempt == 0)
        {
            return $"task {task.WorkflowId.Uuid}/{task.ActivityId.SequencePosition} with attempt 0 (attempts are one-based)";
        }

        return null;
    }

    /// <summary>The problem of a malformed ack, or <see langword="null"/>.</summary>
    public static string? AckProblem(ResultAck ack) =>
        ack.WorkflowId is null || ack.WorkflowId.Uuid.Length == 0 || ack.ActivityId is null
            ? "a ResultAck without a workflow id or an activity id"
            : null;

    /// <summary>The problem of a frame with no known case: an empty one is malformed; one with unknown fields (a newer engine) is not.</summary>
    public static string? UnknownFrameProblem(ServerToWorker frame, out int size)
    {
        size = frame.CalculateSize();
        return size == 0 ? "a frame with no message set" : null;
    }

    /// <summary>How a decoded first frame that is not a RegisterAck is named in the establishment error.</summary>
    public static string DescribeNonAck(ServerToWorker frame) =>
        frame.MessageCase == ServerToWorker.MessageOneofCase.None ? "a frame with no known message" : frame.MessageCase.ToString();
}
