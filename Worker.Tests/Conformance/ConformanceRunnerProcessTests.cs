using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Aion.Worker.Conformance;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;

namespace Aion.Worker.Tests.Conformance;

/// <summary>The runner process's contract: usage, a refused registration, graceful SIGTERM.</summary>
[CancelAfter(30_000)]
public sealed class ConformanceRunnerProcessTests
{
    [Test]
    public async Task Without_an_endpoint_the_runner_prints_usage_and_exits_2()
    {
        await using var runner = RunnerProcess.Start(new Dictionary<string, string>());

        var exitCode = await runner.WaitForExitAsync();

        Assert.That(exitCode, Is.EqualTo(2));
        Assert.That(runner.Stderr, Does.Contain("usage:").And.Contain("AION_WORKER_CONFORMANCE_ENDPOINT"));
        Assert.That(runner.StdoutLines, Is.Empty);
    }

    [Test]
    public async Task A_denying_engine_fails_the_run_with_the_error_on_stderr()
    {
        // The engine denies every registration. (Scripting only the first connection made this test
        // flaky: on a loaded machine the runner's cold first try can outlast its register timeout,
        // a retryable failure; the retry then met an accepting engine and the runner never exited.)
        var engine = new InMemoryEngine();
        engine.Script([.. Enumerable.Repeat(ConnectionScript.Refuse(new Status(StatusCode.PermissionDenied, "conformance namespace not authorized")), 5)]);
        await using var run = await ConformanceScenarioTests.OutOfProcess.StartAsync("register", engine, waitReady: false);

        // A generous safety bound: a loaded machine's cold start alone can take several seconds.
        var exitCode = await run.Runner.WaitForExitAsync(TimeSpan.FromSeconds(20));

        Assert.That(exitCode, Is.EqualTo(1));
        Assert.That(run.Runner.Stderr, Does.Contain("PermissionDenied").And.Contain("conformance namespace not authorized"));
        Assert.That(run.Runner.StdoutLines.Any(l => l.StartsWith(RunnerProcess.ReadyMarker, StringComparison.Ordinal)), Is.False);

        // Only tries that timed out (a cold start) are retried; the first denial ends the run. (A try
        // abandoned at its timeout may not have reached the engine at all, hence a range.)
        var timedOutTries = run.Runner.Stderr.Split('\n').Count(line => line.Contains("register timeout", StringComparison.Ordinal));
        Assert.That(engine.ConnectAttempts, Is.InRange(1, timedOutTries + 1), $"a denial is not retried; stderr:\n{run.Runner.Stderr}");
    }

    [Test]
    public async Task Sigterm_reports_the_in_flight_result_on_the_stream_and_exits_0()
    {
        // A 40 ms window: the worker beats every 10 ms for the task it holds, which tells the engine it started.
        var engine = new InMemoryEngine(new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.FromMilliseconds(40) });
        await using var run = await ConformanceScenarioTests.OutOfProcess.StartAsync("graceful-shutdown", engine, strict: false);
        // The session the runner is ready on: on a loaded machine its cold first try can outlast the
        // register timeout and be abandoned (the engine accepted it), so it is not always session 1.
        var ready = await run.Runner.WaitReadyAsync();
        var workerId = ulong.Parse(Regex.Match(ready, @"worker_id=(\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var session = engine.AcceptedSessions.Single(s => s.WorkerId == workerId);
        Assert.That(session.Registration!.ActivityTypes, Does.Contain(ConformanceFixtures.SleepEcho).And.Contain(ConformanceFixtures.BenchEcho));

        const string input = """{"sleepMs":300,"tag":"in-flight"}""";
        var task = engine.DispatchJson(ConformanceFixtures.SleepEcho, input);
        await engine.WaitUntilAsync(() => engine.Heartbeats.Count(h => h.WorkflowId == task.WorkflowId) >= 2).Within();
        Assert.That(task.IsCompleted, Is.False, "still sleeping when the signal is sent");

        await run.Runner.TerminateAsync();
        var result = await task.Result.Within();
        var exitCode = await run.Runner.WaitForExitAsync();

        Assert.That(exitCode, Is.Zero, $"stderr:\n{run.Runner.Stderr}");
        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result), $"{result}");
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(result.Result.Bytes.Span), JsonNode.Parse(input)), Is.True);
        Assert.That(engine.Results.Single().Session, Is.SameAs(session), "reported on the open stream");
        Assert.That(engine.AcceptedSessions.Where(s => s.Number > session.Number), Is.Empty, "no reconnect");
        Assert.That(run.Runner.StdoutLines.Last(), Does.StartWith(RunnerProcess.StoppedMarker));
        Assert.That(run.Runner.ForcedTermination, Is.False);
    }

    [Test]
    public async Task Sigterm_with_results_the_engine_never_acks_exits_3_and_a_second_sigterm_abandons_the_ack_wait()
    {
        // The engine receives results but never acks them: the graceful stop would wait ShutdownAckTimeout (5 s).
        var engine = new InMemoryEngine(new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.FromMilliseconds(40), AckMode = AckMode.Drop });
        await using var run = await ConformanceScenarioTests.OutOfProcess.StartAsync("unacked-shutdown", engine, strict: false);
        await engine.WaitForSessionAsync(1).Within();
        var task = engine.DispatchJson(ConformanceFixtures.SleepEcho, """{"sleepMs":300,"tag":"unacked"}""");
        await engine.WaitUntilAsync(() => engine.Heartbeats.Count(h => h.WorkflowId == task.WorkflowId) >= 2).Within();

        await run.Runner.TerminateAsync();
        await task.Result.Within();
        Assert.That(run.Runner.HasExited, Is.False, "the first signal waits for the ack");

        await run.Runner.TerminateAsync();
        var exitCode = await run.Runner.WaitForExitAsync(TimeSpan.FromSeconds(4));

        Assert.That(exitCode, Is.EqualTo(3), $"stderr:\n{run.Runner.Stderr}");
        Assert.That(run.Runner.StdoutLines.Last(), Does.StartWith(RunnerProcess.StoppedMarker).And.EndWith("unacked=1"));
        Assert.That(run.Runner.Stderr, Does.Contain("did not acknowledge every result").And.Contain(task.WorkflowId));
        Assert.That(run.Runner.ForcedTermination, Is.False);
    }
}
