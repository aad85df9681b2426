using System.Text.Json;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Activities;

public sealed class TypedActivityTests
{
    private sealed record DoubleInput(int Value);

    private sealed record DoubleOutput(int Doubled);

    [Test]
    public async Task Typed_handler_doubles_input_and_reports_json_result_with_context_as_sent()
    {
        ActivityContext? seen = null;
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<DoubleInput, DoubleOutput>("math.double", (input, context) =>
        {
            seen = context;
            return new DoubleOutput(input.Value * 2);
        }));
        await harness.StartAndRegisterAsync();

        var task = harness.Engine.DispatchJson("math.double", """{"value":21}""", new DispatchOptions
        {
            WorkflowId = "0b5e1d7c-4a3b-4c55-9a77-2f9a2b3c4d5e",
            Position = 7,
            Attempt = 3,
            RunId = "run-1",
            Labels = new Dictionary<string, string> { ["team"] = "billing" },
        });
        var result = await task.Result.Within();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(result.Result.ContentType, Is.EqualTo("application/json"));
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"doubled":42}"""));
        Assert.That(result.WorkflowId.Uuid, Is.EqualTo("0b5e1d7c-4a3b-4c55-9a77-2f9a2b3c4d5e"));
        Assert.That(result.ActivityId.SequencePosition, Is.EqualTo(7));
        Assert.That(result.RunId.Uuid, Is.EqualTo("run-1"));
        Assert.That(seen, Is.Not.Null);
        Assert.That(seen!.Attempt, Is.EqualTo(3));
        Assert.That(seen.WorkflowId, Is.EqualTo("0b5e1d7c-4a3b-4c55-9a77-2f9a2b3c4d5e"));
        Assert.That(seen.ActivityId, Is.EqualTo(7));
        Assert.That(seen.RunId, Is.EqualTo("run-1"));
        Assert.That(seen.ActivityType, Is.EqualTo("math.double"));
        Assert.That(seen.Labels["team"], Is.EqualTo("billing"));
        Assert.That(seen.HeartbeatWindow, Is.EqualTo(TimeSpan.FromSeconds(30)));

        await harness.StopAsync();
    }
}
