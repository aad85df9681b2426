using Aion.Worker.Codec;
using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Pipeline;

public sealed class ProgressHeartbeatTests
{
    private sealed record Progress(string Phase, int Percent);

    [Test]
    public async Task Two_progress_heartbeats_arrive_as_two_frames_in_order_with_the_payload_unchanged()
    {
        var progress = new[] { new Progress("fetching", 10), new Progress("halfway", 50) };
        await using var harness = WorkerHarness.Create(b => b.AddActivity<string, string>("test.progress", async (input, context) =>
        {
            foreach (var step in progress)
            {
                await context.HeartbeatAsync(step);
            }

            return input;
        }));
        var session = await harness.StartAndRegisterAsync();

        var task = harness.Engine.Dispatch("test.progress", "go");
        await task.Result.Within();

        var beats = session.Heartbeats.Where(h => h.WorkflowId == task.WorkflowId && h.HasProgress).ToArray();
        Assert.That(beats, Has.Length.EqualTo(2));
        Assert.That(beats[0].Sequence, Is.LessThan(beats[1].Sequence));
        Assert.That(beats.Select(b => b.Position), Is.All.EqualTo(task.Position));
        for (var i = 0; i < progress.Length; i++)
        {
            var expected = JsonPayloadCodec.Default.Encode(progress[i]);
            Assert.That(beats[i].Heartbeat.Progress.ContentType, Is.EqualTo("application/json"));
            Assert.That(beats[i].Heartbeat.Progress.Bytes.ToByteArray(), Is.EqualTo(expected.Bytes.ToByteArray()));
        }

        Assert.That(beats[1].Heartbeat.Progress.Bytes.ToStringUtf8(), Is.EqualTo("""{"phase":"halfway","percent":50}"""));
        Assert.That(session.Results.Single().Sequence, Is.GreaterThan(beats[1].Sequence));
        await harness.StopAsync();
    }
}
