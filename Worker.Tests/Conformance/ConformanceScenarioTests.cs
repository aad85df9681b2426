using System.Globalization;
using System.Text.Json.Nodes;
using Aion.Worker.Conformance;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Grpc.Core;

namespace Aion.Worker.Tests.Conformance;

/// <summary>
/// Aion's eight cross-SDK worker scenarios. The engine is faked by an <see cref="InMemoryEngine"/>
/// served over real gRPC (<see cref="GrpcEngineHost"/>), and the worker is the conformance runner
/// process; out of process only order and content are asserted. Cancellation (the wire has no cancel
/// frame) and backpressure (released on command, exact peak) run in process on the in-memory engine
/// with the same <see cref="ConformanceFixtures"/> on fake time. Each scenario prints one
/// <c>AION_WORKER_CONFORMANCE sdk=csharp scenario=… result=…</c> line.
/// </summary>
[CancelAfter(30_000)]
public sealed class ConformanceScenarioTests
{
    private static readonly string[] SharedTypesSorted = [.. ConformanceFixtures.SharedTypes.Order(StringComparer.Ordinal)];

    [Test]
    public async Task Register()
    {
        await using var run = await OutOfProcess.StartAsync("register");
        var session = await run.Engine.WaitForSessionAsync(1).Within();

        var observation = await run.FinishAsync();

        Assert.That(session.Registration!.TaskQueue, Is.EqualTo("conformance"));
        Assert.That(session.Metadata.Namespaces, Is.EqualTo(new[] { "conformance" }));
        Assert.That(observation.Registrations, Has.Count.EqualTo(1));
        Assert.That(observation.Registrations[0].Namespaces, Is.EqualTo(new[] { "conformance" }));
        Assert.That(observation.Registrations[0].ActivityTypes, Is.EqualTo(SharedTypesSorted), "the six fixtures, sorted by UTF-8 bytes");
        Assert.That(observation.Registrations[0].AfterReconnect, Is.False);
        Assert.That(observation.Reports, Is.Empty);
    }

    [Test]
    public async Task Receive_complete()
    {
        await using var run = await OutOfProcess.StartAsync("receive-complete");
        const string input = """{"value":42,"text":"hello worker","nested":{"unicode":"café 東京"}}""";
        var task = run.Engine.DispatchJson(ConformanceFixtures.Echo, input);
        var result = await task.Result.Within();

        var observation = await run.FinishAsync();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(observation.Reports, Has.Count.EqualTo(1));
        var report = observation.Reports[0];
        Assert.That((report.WorkflowId, report.ActivityId, report.Outcome, report.ContentType, report.ReReport), Is.EqualTo(("wf-1", 1UL, "completed", "application/json", false)));
        Assert.That(JsonNode.DeepEquals(report.Json, JsonNode.Parse(input)), Is.True, $"echoed {report.Json}");
        Assert.That(observation.Failures, Is.Empty);
    }

    [Test]
    public async Task Fail_retryable()
    {
        await using var run = await OutOfProcess.StartAsync("fail-retryable");
        await run.Engine.DispatchJson(ConformanceFixtures.FailRetryable, "{}").Result.Within();

        var observation = await run.FinishAsync();

        Assert.That(observation.Failures, Has.Count.EqualTo(1));
        Assert.That((observation.Failures[0].WorkflowId, observation.Failures[0].WireKind), Is.EqualTo(("wf-1", "RETRYABLE")));
        Assert.That(observation.Failures[0].Message, Does.Contain("retryable"));
        Assert.That(observation.Reports.Single().Outcome, Is.EqualTo("failed"));
    }

    [Test]
    public async Task Fail_terminal()
    {
        await using var run = await OutOfProcess.StartAsync("fail-terminal");
        await run.Engine.DispatchJson(ConformanceFixtures.FailTerminal, "{}").Result.Within();

        var observation = await run.FinishAsync();

        Assert.That(observation.Failures, Has.Count.EqualTo(1));
        Assert.That((observation.Failures[0].WorkflowId, observation.Failures[0].WireKind), Is.EqualTo(("wf-1", "TERMINAL")));
        Assert.That(observation.Failures[0].Message, Does.Contain("terminal"));
    }

    [Test]
    public async Task Heartbeat()
    {
        await using var run = await OutOfProcess.StartAsync("heartbeat");
        var task = run.Engine.DispatchJson(ConformanceFixtures.HeartbeatSlow, """{"heartbeatAfterMs":10,"completeAfterMs":20}""");
        await task.Result.Within();

        var observation = await run.FinishAsync();

        // Order on the engine side: the progress heartbeat arrived before the result.
        var progress = run.Engine.Heartbeats.Where(h => h.HasProgress).ToList();
        Assert.That(progress, Has.Count.EqualTo(1));
        Assert.That(progress[0].Sequence, Is.LessThan(run.Engine.Results.Single().Sequence));
        Assert.That(observation.Heartbeats, Has.Count.EqualTo(1));
        Assert.That(JsonNode.DeepEquals(observation.Heartbeats[0].Progress, JsonNode.Parse("""{"phase":"halfway","percent":50}""")), Is.True, $"progress {observation.Heartbeats[0].Progress}");
        Assert.That(JsonNode.DeepEquals(observation.Reports.Single().Json, JsonNode.Parse("""{"status":"completed-after-heartbeat"}""")), Is.True);
        Assert.That(observation.Reports.Single().ContentType, Is.EqualTo("application/json"));
    }

    [Test]
    public async Task Reconnect_and_re_report()
    {
        await using var run = await OutOfProcess.StartAsync("reconnect-and-re-report");
        var engine = run.Engine;

        // Result 1 is received and never acked; the engine then drops the stream it arrived on.
        engine.AckFilter = result => engine.Results.Count > 1;
        engine.OnResultReceived = received =>
        {
            if (received.Sequence == engine.Results[0].Sequence)
            {
                received.Session.Fail(new Status(StatusCode.Unavailable, "conformance: the engine dropped the stream"));
            }
        };
        var first = engine.DispatchJson(ConformanceFixtures.Echo, """{"task":1}""");
        await first.Result.Within();
        var dropped = engine.Results[0].Session;

        // Task 2 is dispatched only once the worker re-registered and re-sent result 1.
        EngineSession? next = null;
        await engine.WaitUntilAsync(() => (next = engine.AcceptedSessions.FirstOrDefault(s => s.Number > dropped.Number)) is not null && next.Results.Count >= 1).Within();
        var second = next!;
        var resultsBeforeTask2 = second.Results.Count;
        var task2 = engine.DispatchJson(ConformanceFixtures.Echo, """{"task":2}""");
        await task2.Result.Within();

        var observation = await run.FinishAsync();

        Assert.That(resultsBeforeTask2, Is.EqualTo(1));
        var onSecond = second.Results;
        Assert.That(onSecond.Select(r => (r.WorkflowId, r.Position)), Is.EqualTo(new[] { (first.WorkflowId, first.Position), (task2.WorkflowId, task2.Position) }),
            "result 1 re-sent on the new stream before task 2 was dispatched and reported");
        Assert.That(dropped.Results.Single().Acked, Is.False);
        Assert.That(onSecond[0].Acked, Is.True, "the re-sent result 1 is acked on the new stream");
        Assert.That(observation.Registrations.Select(r => r.AfterReconnect), Is.EqualTo(new[] { false, true }), "one re-registration");
        Assert.That(observation.Registrations[1].ActivityTypes, Is.EqualTo(SharedTypesSorted));
        Assert.That(observation.Reports.Select(r => (r.WorkflowId, r.ReReport)), Is.EqualTo(new[] { ("wf-1", false), ("wf-1", true), ("wf-2", false) }));
        Assert.That(JsonNode.DeepEquals(observation.Reports[1].Json, JsonNode.Parse("""{"task":1}""")), Is.True, "re-sent unchanged");
    }

    [Test]
    public async Task Cancellation()
    {
        var (harness, fixtures) = InProcess();
        await using (harness)
        {
            await harness.StartAndRegisterAsync();
            var task = harness.Engine.DispatchJson(ConformanceFixtures.CancelObserving, """{"pollEveryMs":10}""");
            await Poll.UntilAsync(() => fixtures.Running == 1, "cancel-observing to run");

            Assert.That(harness.Engine.CancelActivity(task.WorkflowId, task.Position), Is.True);
            var result = await task.Result.Within();
            await harness.StopAsync();

            var observation = ScenarioObservation.From("cancellation", harness.Engine, fixtures.PeakConcurrency, fixtures.CancellationsObserved > 0);
            observation.Print();
            Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
            Assert.That(observation.Failures.Single().WireKind, Is.EqualTo("TERMINAL"));
            Assert.That(observation.Failures.Single().Message, Does.Contain("cancelled"));
            Assert.That(fixtures.CancellationsObserved, Is.EqualTo(1));
            Assert.That(harness.Engine.Sessions, Has.Count.EqualTo(1), "a cancel does not disturb the session");
        }
    }

    [Test]
    public async Task Backpressure()
    {
        var (harness, fixtures) = InProcess();
        await using (harness)
        {
            var session = await harness.StartAndRegisterAsync();
            var tasks = Enumerable.Range(1, 5)
                .Select(i => harness.Engine.DispatchJson(ConformanceFixtures.BlockingEcho, $$"""{"index":{{i}}}"""))
                .ToList();

            // Every task is with the worker (read eagerly into its queue); two run, three wait.
            await Poll.UntilAsync(() => fixtures.Running == 2 && session.FramesUnreadByWorker == 0, "two blocking-echo to run");
            await Poll.HoldsAsync(() => fixtures.Running == 2 && fixtures.PeakConcurrency == 2, "exactly 2 running while blocked", TimeSpan.FromMilliseconds(50));
            Assert.That(tasks.Count(t => t.IsCompleted), Is.Zero);

            fixtures.ReleaseBlocked();
            var results = await Task.WhenAll(tasks.Select(t => t.Result)).Within();
            await harness.StopAsync();

            var observation = ScenarioObservation.From("backpressure", harness.Engine, fixtures.PeakConcurrency, dispatchOrder: tasks.Select(t => t.WorkflowId), sortReports: true);
            observation.Print();
            Assert.That(fixtures.PeakConcurrency, Is.EqualTo(2));
            Assert.That(observation.PeakConcurrency, Is.EqualTo(2));
            Assert.That(results.All(r => r.OutcomeCase == ActivityResult.OutcomeOneofCase.Result), Is.True);
            Assert.That(observation.Reports.Select(r => r.Json!["index"]!.GetValue<int>()), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }), "each echoes its own input");
            Assert.That(observation.Reports.Select(r => r.WorkflowId), Is.EqualTo(new[] { "wf-1", "wf-2", "wf-3", "wf-4", "wf-5" }));
        }
    }

    /// <summary>A worker on the in-memory engine with the conformance fixtures on the harness's fake clock.</summary>
    internal static (WorkerHarness Harness, ConformanceFixtures Fixtures) InProcess(bool strict = true)
    {
        var engineOptions = new InMemoryEngineOptions();
        ConformanceFixtures? fixtures = null;
        var harness = WorkerHarness.Create(
            builder =>
            {
                // The harness sets the engine's clock to its fake clock before registering activities.
                fixtures = new ConformanceFixtures(engineOptions.TimeProvider);
                fixtures.Register(builder, strict);
            },
            options =>
            {
                options.Namespaces = ["conformance"];
                options.TaskQueue = "conformance";
                options.Identity = "conformance";
                options.MaxConcurrency = 2;
            },
            engineOptions);
        Assert.That(engineOptions.TimeProvider, Is.SameAs(harness.Time));
        return (harness, fixtures!);
    }

    /// <summary>One out-of-process scenario: the fake engine on Kestrel and the runner process pointed at it.</summary>
    internal sealed class OutOfProcess : IAsyncDisposable
    {
        private OutOfProcess(string scenario, InMemoryEngine engine, GrpcEngineHost host, RunnerProcess runner)
        {
            Scenario = scenario;
            Engine = engine;
            Host = host;
            Runner = runner;
        }

        public string Scenario { get; }
        public InMemoryEngine Engine { get; }
        public GrpcEngineHost Host { get; }
        public RunnerProcess Runner { get; }

        public static Task<OutOfProcess> StartAsync(string scenario, InMemoryEngineOptions? engineOptions = null, bool strict = true) =>
            StartAsync(scenario, new InMemoryEngine(engineOptions), strict);

        public static async Task<OutOfProcess> StartAsync(string scenario, InMemoryEngine engine, bool strict = true, bool waitReady = true)
        {
            var host = await GrpcEngineHost.StartAsync(engine);
            RunnerProcess? runner = null;
            try
            {
                runner = RunnerProcess.Start(Environment(host.Uri, scenario, strict));
                var run = new OutOfProcess(scenario, engine, host, runner);
                if (waitReady)
                {
                    var ready = await runner.WaitReadyAsync();
                    TestContext.Progress.WriteLine($"runner start-up {runner.ReadyAfter!.Value.TotalMilliseconds:F0} ms (process start → READY): {ready}");
                }

                return run;
            }
            catch
            {
                if (runner is not null)
                {
                    await runner.DisposeAsync();
                }

                await host.DisposeAsync();
                throw;
            }
        }

        public static Dictionary<string, string> Environment(Uri endpoint, string scenario, bool strict = true)
        {
            var environment = new Dictionary<string, string>
            {
                ["AION_WORKER_CONFORMANCE_ENDPOINT"] = endpoint.ToString(),
                ["AION_WORKER_CONFORMANCE_SCENARIO"] = scenario,
                // Fast redials; MaxBackoff (also the registration and send deadline) leaves room for a cold start's JIT.
                ["AION_WORKER_RECONNECT"] = "20,3000,5",
            };
            if (strict)
            {
                environment["AION_WORKER_CONFORMANCE_FIXTURES"] = "strict";
            }

            return environment;
        }

        /// <summary>SIGTERM, a graceful exit 0, then the observation (printed).</summary>
        public async Task<ScenarioObservation> FinishAsync()
        {
            var exitCode = await Runner.StopAsync();
            var stopped = Runner.StdoutLines.LastOrDefault(l => l.StartsWith(RunnerProcess.StoppedMarker, StringComparison.Ordinal));
            var observation = ScenarioObservation.From(Scenario, Engine, PeakFrom(stopped), forcedTermination: Runner.ForcedTermination);
            observation.Print();
            Assert.That(Runner.ForcedTermination, Is.False, "the runner had to be killed");
            Assert.That(exitCode, Is.Zero, $"stderr:\n{Runner.Stderr}");
            Assert.That(stopped, Is.Not.Null, "the runner printed its STOPPED line");
            return observation;
        }

        public async ValueTask DisposeAsync()
        {
            await Runner.DisposeAsync();
            await Host.DisposeAsync();
        }

        private static int? PeakFrom(string? stopped)
        {
            const string key = "peak_concurrency=";
            var at = stopped?.IndexOf(key, StringComparison.Ordinal) ?? -1;
            return at < 0 ? null : int.Parse(stopped![(at + key.Length)..].Split(' ')[0], CultureInfo.InvariantCulture);
        }
    }
}
