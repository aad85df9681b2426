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
    public static ServerToWorker? Decode(in InboundFrame frame, out string? problem) => Decode(frame, out problem, out _);

    /// <summary>
    /// As <see cref="Decode(in InboundFrame, out string?)"/>; when the frame is a task whose ids still
    /// decode but whose rest does not, <paramref name="idsOnly"/> is that task (ids, attempt and run id
    /// as far as they decode) and <paramref name="problem"/> says why it did not decode: the task is
    /// reported TERMINAL, the session goes on.
    /// </summary>
    public static ServerToWorker? Decode(in InboundFrame frame, out string? problem, out ActivityTask? idsOnly)
    {
        problem = null;
        idsOnly = null;
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
                if (TryDecodeTaskIds(frame.Bytes.Span, out var task))
                {
                    idsOnly = task;
                    problem = $"the task frame could not be decoded: {ex.Message}";
                    return null;
                }

                problem = $"a frame of {frame.Size} bytes that does not decode ({ex.Message})";
                return null;
            }
        }

        problem = $"a frame of {frame.Size} bytes that the transport could not decode";
        return null;
    }

    /// <summary>
    /// Reads what it can of a task frame that does not decode: the workflow id (ActivityTask field 1,
    /// WorkflowId.uuid = 1), the activity id (field 2, ActivityId.sequence_position = 1), the attempt
    /// (field 5) and the run id (field 7), skipping every other field unread; stops at the first field
    /// that does not read. True only when the frame is a task whose workflow id and activity id were read.
    /// </summary>
    internal static bool TryDecodeTaskIds(ReadOnlySpan<byte> frame, out ActivityTask? task)
    {
        task = null;
        string? workflowId = null;
        ulong? position = null;
        uint attempt = 0;
        string? runId = null;
        try
        {
            var outer = new CodedInputStream(frame.ToArray());
            var body = ByteString.Empty;
            var isTask = false;
            uint tag;
            while ((tag = outer.ReadTag()) != 0)
            {
                if (tag == MakeTag(1, WireFormat.WireType.LengthDelimited))
                {
                    body = outer.ReadBytes();
                    isTask = true;
                }
                else
                {
                    outer.SkipLastField();
                }
            }

            if (!isTask)
            {
                return false;
            }

            var input = body.CreateCodedInput();
            try
            {
                while ((tag = input.ReadTag()) != 0)
                {
                    switch (WireFormat.GetTagFieldNumber(tag))
                    {
                        case 1 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                            workflowId = ReadStringField(input.ReadBytes()) ?? workflowId;
                            break;
                        case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                            position = ReadPosition(input.ReadBytes());
                            break;
                        case 5 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.Varint:
                            attempt = input.ReadUInt32();
                            break;
                        case 7 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                            runId = ReadStringField(input.ReadBytes());
                            break;
                        default:
                            input.SkipLastField();
                            break;
                    }
                }
            }
            catch (Exception ex) when (ex is InvalidProtocolBufferException or ArgumentException)
            {
                // The rest is unreadable: keep what was read before it.
            }
        }
        catch (Exception ex) when (ex is InvalidProtocolBufferException or ArgumentException)
        {
            return false;
        }

        if (string.IsNullOrEmpty(workflowId) || position is not { } sequence)
        {
            return false;
        }

        task = new ActivityTask
        {
            WorkflowId = new WorkflowId { Uuid = workflowId },
            ActivityId = new ActivityId { SequencePosition = sequence },
            Attempt = attempt == 0 ? 1 : attempt,
            Input = new Payload(),
        };
        if (runId is not null)
        {
            task.RunId = new RunId { Uuid = runId };
        }

        return true;
    }

    private static uint MakeTag(int field, WireFormat.WireType type) => ((uint)field << 3) | (uint)type;

    /// <summary>Field 1 of a WorkflowId or RunId, as a string; <see langword="null"/> when it is missing.</summary>
    private static string? ReadStringField(ByteString message)
    {
        var input = message.CreateCodedInput();
        string? value = null;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == MakeTag(1, WireFormat.WireType.LengthDelimited))
            {
                value = input.ReadString();
            }
            else
            {
                input.SkipLastField();
            }
        }

        return value;
    }

    /// <summary>Field 1 of an ActivityId (0 when it is missing, as protobuf reads it).</summary>
    private static ulong ReadPosition(ByteString message)
    {
        var input = message.CreateCodedInput();
        ulong value = 0;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            if (tag == MakeTag(1, WireFormat.WireType.Varint))
            {
                value = input.ReadUInt64();
            }
            else
            {
                input.SkipLastField();
            }
        }

        return value;
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
