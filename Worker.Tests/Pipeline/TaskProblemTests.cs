using Aion.Worker.Internal.Session;
using Aion.Worker.Protocol;
using Google.Protobuf;

namespace Aion.Worker.Tests.Pipeline;

public sealed class TaskProblemTests
{
    private static ActivityTask WellFormed() => new()
    {
        WorkflowId = new WorkflowId { Uuid = "wf-1" },
        ActivityId = new ActivityId { SequencePosition = 4 },
        ActivityType = "math.double",
        Input = new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("{}") },
        Attempt = 1,
    };

    [Test]
    public void Well_formed_task_has_no_problem()
    {
        Assert.That(FrameValidator.TaskProblem(WellFormed()), Is.Null);
    }

    [Test]
    public void Position_zero_empty_input_bytes_and_no_run_id_are_well_formed()
    {
        var task = WellFormed();
        task.ActivityId.SequencePosition = 0;
        task.Input = new Payload();

        Assert.That(FrameValidator.TaskProblem(task), Is.Null);
    }

    private static IEnumerable<TestCaseData> Malformed()
    {
        yield return new TestCaseData((Action<ActivityTask>)(t => t.WorkflowId = null), "without a workflow id").SetArgDisplayNames("missing workflow id");
        yield return new TestCaseData((Action<ActivityTask>)(t => t.WorkflowId.Uuid = ""), "without a workflow id").SetArgDisplayNames("empty workflow id");
        yield return new TestCaseData((Action<ActivityTask>)(t => t.ActivityId = null), "without an activity id").SetArgDisplayNames("missing activity id");
        yield return new TestCaseData((Action<ActivityTask>)(t => t.ActivityType = ""), "empty activity type").SetArgDisplayNames("empty activity type");
        yield return new TestCaseData((Action<ActivityTask>)(t => t.Input = null), "without an input").SetArgDisplayNames("missing input");
        yield return new TestCaseData((Action<ActivityTask>)(t => t.Attempt = 0), "attempt 0").SetArgDisplayNames("attempt zero");
    }

    [TestCaseSource(nameof(Malformed))]
    public void Malformed_task_is_named_as_a_decode_problem(Action<ActivityTask> breakIt, string expected)
    {
        var task = WellFormed();
        breakIt(task);

        Assert.That(FrameValidator.TaskProblem(task), Does.Contain(expected));
    }

    [Test]
    public void First_problem_is_reported_when_several_exist()
    {
        var task = WellFormed();
        task.Attempt = 0;
        task.ActivityType = "";
        task.WorkflowId = null;

        Assert.That(FrameValidator.TaskProblem(task), Does.Contain("without a workflow id"));
    }

    [Test]
    public void Problem_names_the_task_it_found_in()
    {
        var task = WellFormed();
        task.Attempt = 0;

        Assert.That(FrameValidator.TaskProblem(task), Does.Contain("wf-1/4"));
    }
}
