using System.Text.Json.Nodes;
using Aion.Worker.Conformance;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;

namespace Aion.Worker.Tests.Conformance;

/// <summary>The fixture activities' timing and cancellation rules, in process on fake time.</summary>
[CancelAfter(20_000)]
public sealed class ConformanceFixtureTests
{
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    [Test]
    public async Task Heartbeat_slow_beats_at_heartbeatAfterMs_and_completes_at_completeAfterMs_from_its_start()
    {
        var (harness, _) = ConformanceScenarioTests.InProcess();
        await using (harness)
        {
            await harness.StartAndRegisterAsync();
            var startedAt = harness.Time.GetUtcNow();
            var task = harness.Engine.DispatchJson(ConformanceFixtures.HeartbeatSlow, """{"heartbeatAfterMs":10,"completeAfterMs":20}""");

            await harness.Time.WaitForTimerAsync(10 * Ms);
            harness.Time.Advance(10 * Ms);
            await harness.Engine.WaitUntilAsync(() => harness.Engine.Heartbeats.Any(h => h.HasProgress)).Within();
            var beat = harness.Engine.Heartbeats.Single(h => h.HasProgress);
            Assert.That(beat.ReceivedAt - startedAt, Is.EqualTo(10 * Ms));
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(beat.Heartbeat.Progress.Bytes.Span), JsonNode.Parse("""{"phase":"halfway","percent":50}""")), Is.True);

            // The rest of the 20 ms, measured from the start.
            await harness.Time.WaitForTimerAsync(10 * Ms);
            harness.Time.Advance(9 * Ms);
            Assert.That(task.IsCompleted, Is.False);
            harness.Time.Advance(Ms);
            var result = await task.Result.Within();

            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(result.Result.Bytes.Span), JsonNode.Parse("""{"status":"completed-after-heartbeat"}""")), Is.True, $"{result}");
            await harness.StopAsync();
        }
    }

    [Test]
    public async Task Blocking_echo_releases_itself_after_releaseAfterMs()
    {
        var (harness, fixtures) = ConformanceScenarioTests.InProcess();
        await using (harness)
        {
            await harness.StartAndRegisterAsync();
            const string input = """{"releaseAfterMs":50,"tag":"timed"}""";
            var task = harness.Engine.DispatchJson(ConformanceFixtures.BlockingEcho, input);

            await harness.Time.WaitForTimerAsync(50 * Ms);
            harness.Time.Advance(49 * Ms);
            Assert.That(task.IsCompleted, Is.False);
            Assert.That(fixtures.Running, Is.EqualTo(1));
            harness.Time.Advance(Ms);
            var result = await task.Result.Within();

            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(result.Result.Bytes.Span), JsonNode.Parse(input)), Is.True, $"{result}");
            await harness.StopAsync();
        }
    }

    [Test]
    public async Task Blocking_echo_ends_on_shutdown_so_a_stopping_runner_never_hangs()
    {
        var (harness, fixtures) = ConformanceScenarioTests.InProcess();
        await using (harness)
        {
            await harness.StartAndRegisterAsync();
            var task = harness.Engine.DispatchJson(ConformanceFixtures.BlockingEcho, """{"tag":"blocked"}""");
            await Poll.UntilAsync(() => fixtures.Running == 1, "blocking-echo to run");

            await harness.StopAsync();
            var result = await task.Result.Within();

            Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Retryable));
            Assert.That(result.Error.Message, Does.Contain("shutting down"));
        }
    }

    [Test]
    public async Task Sleep_echo_ignores_cancellation_and_its_result_is_reported_on_shutdown()
    {
        var (harness, _) = ConformanceScenarioTests.InProcess(strict: false);
        await using (harness)
        {
            await harness.StartAndRegisterAsync();
            const string input = """{"sleepMs":100}""";
            var task = harness.Engine.DispatchJson(ConformanceFixtures.SleepEcho, input);
            await harness.Time.WaitForTimerAsync(100 * Ms);

            harness.Shutdown();
            harness.Time.Advance(99 * Ms);
            Assert.That(harness.Run!.IsCompleted, Is.False, "the run waits for the sleeping activity");
            harness.Time.Advance(Ms);
            var result = await task.Result.Within();
            await harness.Run.Within();

            Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result), $"{result}");
            Assert.That(JsonNode.DeepEquals(JsonNode.Parse(result.Result.Bytes.Span), JsonNode.Parse(input)), Is.True);
        }
    }
}
