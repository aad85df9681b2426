using Aion.Worker.Internal.Session;
using Aion.Worker.Protocol;
using Aion.Worker.Transport;
using Google.Protobuf;

namespace Aion.Worker.Tests.Session;

/// <summary>Core decodes what a transport could not: the bytes of an undecodable frame.</summary>
public sealed class FrameValidatorTests
{
    private static readonly ServerToWorker Ack = new() { ResultAck = new ResultAck { WorkflowId = new WorkflowId { Uuid = "wf" }, ActivityId = new ActivityId { SequencePosition = 3 } } };

    [Test]
    public void A_decoded_frame_is_taken_as_it_is()
    {
        Assert.That(FrameValidator.Decode(InboundFrame.FromMessage(Ack), out var problem), Is.SameAs(Ack));
        Assert.That(problem, Is.Null);
    }

    [Test]
    public void Bytes_a_stricter_transport_rejected_are_decoded_in_Core_when_they_parse()
    {
        var decoded = FrameValidator.Decode(InboundFrame.Undecodable(Ack.ToByteArray()), out var problem);

        Assert.That(decoded, Is.EqualTo(Ack));
        Assert.That(problem, Is.Null);
    }

    [Test]
    public void Bytes_that_do_not_parse_are_a_problem_naming_the_frame_size()
    {
        var decoded = FrameValidator.Decode(InboundFrame.Undecodable(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF }), out var problem);

        Assert.That(decoded, Is.Null);
        Assert.That(problem, Does.Contain("a frame of 5 bytes that does not decode"));
    }

    [Test]
    public void A_frame_the_transport_kept_only_part_of_is_a_problem_naming_its_size()
    {
        var decoded = FrameValidator.Decode(InboundFrame.Undecodable(new byte[] { 0x0A, 0x02 }, 70_000_000), out var problem);

        Assert.That(decoded, Is.Null);
        Assert.That(problem, Does.Contain("70000000 bytes"));
    }

    [Test]
    public void A_decoded_first_frame_that_is_not_an_ack_is_named_by_its_case()
    {
        Assert.That(FrameValidator.DescribeNonAck(Ack), Is.EqualTo("ResultAck"));
        Assert.That(FrameValidator.DescribeNonAck(new ServerToWorker()), Is.EqualTo("a frame with no known message"));
    }

    [Test]
    public void A_task_frame_whose_ids_decode_but_whose_rest_does_not_yields_the_ids_and_the_problem()
    {
        var bytes = Aion.Worker.Tests.Transport.TransportContractTests.TaskWithInvalidUtf8Type("wf-partial", 7);

        var decoded = FrameValidator.Decode(InboundFrame.Undecodable(bytes), out var problem, out var idsOnly);

        Assert.That(decoded, Is.Null);
        Assert.That(idsOnly, Is.Not.Null);
        Assert.That(idsOnly!.WorkflowId.Uuid, Is.EqualTo("wf-partial"));
        Assert.That(idsOnly.ActivityId.SequencePosition, Is.EqualTo(7));
        Assert.That(idsOnly.Attempt, Is.EqualTo(2));
        Assert.That(problem, Does.StartWith("the task frame could not be decoded: "));
    }

    [Test]
    public void Unreadable_ids_stay_a_session_ending_decode_error_that_gives_the_frame_size()
    {
        // A task whose workflow id is not UTF-8, and one with no activity id.
        var badId = new ServerToWorker { Task = new ActivityTask { WorkflowId = new WorkflowId { Uuid = "@@" }, ActivityId = new ActivityId { SequencePosition = 1 }, ActivityType = "t" } }.ToByteArray();
        var at = badId.AsSpan().IndexOf("@@"u8);
        badId[at] = 0xFF;
        var noActivityId = new ServerToWorker { Task = new ActivityTask { WorkflowId = new WorkflowId { Uuid = "wf" }, ActivityType = "@@" } }.ToByteArray();
        at = noActivityId.AsSpan().IndexOf("@@"u8);
        noActivityId[at] = 0xFF;

        foreach (var bytes in new[] { badId, noActivityId })
        {
            var decoded = FrameValidator.Decode(InboundFrame.Undecodable(bytes), out var problem, out var idsOnly);
            Assert.That(decoded, Is.Null);
            Assert.That(idsOnly, Is.Null);
            Assert.That(problem, Does.StartWith($"a frame of {bytes.Length} bytes that does not decode"));
        }
    }
}
