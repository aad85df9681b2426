using System.Collections.Concurrent;
using Aion.Worker.Pipeline;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Tests.Pipeline.Stages;

public sealed class BuiltInStageTests
{
    private const int FrameLoggedId = 50;

    [Test]
    public async Task Rate_limit_starts_PermitLimit_tasks_per_period_and_holds_the_rest_until_the_clock_replenishes()
    {
        var started = new ConcurrentQueue<string>();
        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) =>
            {
                started.Enqueue(input);
                return input;
            }).ConfigurePipeline(p => p.AddRateLimit(2, TimeSpan.FromSeconds(1))),
            o => o.MaxConcurrency = 8);
        await harness.StartAndRegisterAsync();

        var tasks = Enumerable.Range(1, 5).Select(i => harness.Engine.Dispatch("echo", $"t{i}")).ToArray();
        await Task.WhenAll(tasks[0].Result, tasks[1].Result).Within();
        await Poll.HoldsAsync(() => started.Count == 2, "the third task waits for a permit");

        harness.Time.Advance(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        await Task.WhenAll(tasks[2].Result, tasks[3].Result).Within();
        await Poll.HoldsAsync(() => started.Count == 4, "two permits per period");

        harness.Time.Advance(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        await tasks[4].Result.Within();
        Assert.That(started, Is.EqualTo(new[] { "t1", "t2", "t3", "t4", "t5" }), "held, never failed, in order");
        Assert.That(tasks.Select(t => t.Result.Result.OutcomeCase), Is.All.EqualTo(Protocol.ActivityResult.OutcomeOneofCase.Result));
        await harness.StopAsync();
    }

    [Test]
    public async Task Rate_limit_per_activity_type_gives_each_type_its_own_bucket()
    {
        var started = new ConcurrentQueue<string>();
        string Run(string input)
        {
            started.Enqueue(input);
            return input;
        }

        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("a", (input, _) => Run(input)).AddActivity<string, string>("b", (input, _) => Run(input))
                .ConfigurePipeline(p => p.AddRateLimit(new TaskRateLimitOptions { PermitLimit = 1, Period = TimeSpan.FromSeconds(1), PerActivityType = true })),
            o => o.MaxConcurrency = 8);
        await harness.StartAndRegisterAsync();

        var a1 = harness.Engine.Dispatch("a", "a1");
        var b1 = harness.Engine.Dispatch("b", "b1");
        await Task.WhenAll(a1.Result, b1.Result).Within();
        var a2 = harness.Engine.Dispatch("a", "a2");
        await Poll.HoldsAsync(() => !started.Contains("a2"), "type a spent its permit");

        harness.Time.Advance(TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(100));
        await a2.Result.Within();
        await harness.StopAsync();
    }

    [Test]
    public void Built_in_options_list_every_problem()
    {
        Assert.That(new TaskRateLimitOptions { PermitLimit = 0, Period = TimeSpan.Zero }.Validate(), Is.EqualTo(new[]
        {
            "PermitLimit: must be at least 1 (was 0).",
            "Period: must be greater than zero (was 00:00:00).",
        }));
        Assert.That(new FaultInjectionOptions { EndSessionAfterFrames = 0, AckLossProbability = 2 }.Validate(), Is.EqualTo(new[]
        {
            "EndSessionAfterFrames: must be at least 1 (was 0).",
            "AckLossProbability: must be between 0 and 1 (was 2).",
        }));
        var limits = new ActivityConcurrencyLimitOptions { DefaultLimit = 0 };
        limits.Limits["slow"] = 0;
        Assert.That(limits.Validate(), Is.EqualTo(new[] { "Limits[slow]: must be at least 1 (was 0).", "DefaultLimit: must be at least 1 (was 0)." }));

        var builder = AionWorker.CreateBuilder(WorkerHarness.DefaultOptions());
        var error = Assert.Throws<ArgumentException>(() => builder.ConfigurePipeline(p => p.AddRateLimit(0, TimeSpan.Zero)));
        Assert.That(error!.Message, Does.StartWith("The rate limit cannot be added (2 problems):"));
    }

    [Test]
    public async Task Frame_logging_logs_every_frame_without_the_bearer_token_or_payloads_unless_asked()
    {
        await using var quiet = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) => input).ConfigurePipeline(p => p.AddFrameLogging(new FrameLoggingOptions { Level = LogLevel.Information })),
            o => o.BearerToken = "token-must-not-leak");
        await quiet.StartAndRegisterAsync();
        await quiet.Engine.Dispatch("echo", "payload-must-not-leak").Result.Within();
        await Poll.UntilAsync(() => quiet.Logs.GetSnapshot().Any(e => e.Id.Id == FrameLoggedId && e.Message.Contains("result ack", StringComparison.Ordinal)), "the ack was logged");
        await quiet.StopAsync();

        var lines = quiet.Logs.GetSnapshot().Where(e => e.Id.Id == FrameLoggedId).Select(e => e.Message).ToArray();
        Assert.That(lines, Has.Some.Contains("sent register"));
        Assert.That(lines, Has.Some.Contains("received task echo"));
        Assert.That(lines, Has.Some.Contains("sent result"));
        Assert.That(quiet.Logs.GetSnapshot().Select(e => e.Message), Has.None.Contains("token-must-not-leak"));
        Assert.That(lines, Has.None.Contains("payload-must-not-leak"));

        await using var verbose = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) => input).ConfigurePipeline(p => p.AddFrameLogging(new FrameLoggingOptions { Level = LogLevel.Information, IncludePayloads = true })));
        await verbose.StartAndRegisterAsync();
        await verbose.Engine.Dispatch("echo", "shown-on-request").Result.Within();
        await verbose.StopAsync();
        Assert.That(verbose.Logs.GetSnapshot().Where(e => e.Id.Id == FrameLoggedId).Select(e => e.Message), Has.Some.Contains("shown-on-request"));
    }

    [Test]
    public async Task Fault_injection_ends_the_session_after_N_frames_and_the_worker_redials()
    {
        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) => input)
                .ConfigurePipeline(p => p.AddFaultInjection(new FaultInjectionOptions { EndSessionAfterFrames = 4 })),
            o => o.Reconnect!.MaxAttempts = 10);
        var first = await harness.StartAndRegisterAsync();

        // Register, RegisterAck, Task, Result: the fifth frame (the ack) ends the session.
        var task = harness.Engine.Dispatch("echo", "x");
        await task.Result.Within();
        await first.Completion.Within();
        await new Sleeps(harness.Time).PassAsync(TimeSpan.FromMilliseconds(5));
        var second = await harness.Engine.WaitForSessionAsync(2).Within();
        Assert.That(first.Results.Select(r => r.WorkflowId), Is.EqualTo(new[] { task.WorkflowId }), "the result went out before the fault");
        await harness.Engine.WaitUntilAsync(() => second.Results.Count == 1).Within();
        await harness.StopAsync();
    }

    [Test]
    public async Task Fault_injection_is_reproducible_from_its_seed()
    {
        var first = await LostAcksAsync(seed: 7);
        var again = await LostAcksAsync(seed: 7);
        var other = await LostAcksAsync(seed: 8);

        Assert.That(first, Has.Some.True.And.Some.False, "about half the acks are lost");
        Assert.That(again, Is.EqualTo(first), "the same seed loses the same acks");
        Assert.That(other, Is.Not.EqualTo(first), "another seed loses others");
    }

    [Test]
    public async Task Fault_injection_delays_sends_on_the_workers_clock()
    {
        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) => input)
                .ConfigurePipeline(p => p.AddFaultInjection(new FaultInjectionOptions { SendDelay = TimeSpan.FromMilliseconds(500) })),
            o => o.RegisterTimeout = TimeSpan.FromSeconds(10));
        harness.Start();

        // The registration itself waits 500 ms of the fake clock.
        await Poll.HoldsAsync(() => harness.Engine.Sessions.Count == 0 || harness.Engine.Sessions[0].Registration is null, "nothing is sent before the delay");
        harness.Time.Advance(TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(50));
        await harness.Engine.WaitForSessionAsync(1).Within();
        await harness.StopAsync();
    }

    /// <summary>Runs 16 tasks one after another with half the acks lost; says which ack was lost.</summary>
    private static async Task<bool[]> LostAcksAsync(int seed)
    {
        await using var harness = WorkerHarness.Create(
            b => b.AddActivity<string, string>("echo", (input, _) => input)
                .ConfigurePipeline(p => p.AddFaultInjection(new FaultInjectionOptions { Seed = seed, AckLossProbability = 0.5 })),
            o => o.MaxConcurrency = 1);
        var session = await harness.StartAndRegisterAsync();
        var tasks = new List<DispatchedTask>();
        for (var i = 0; i < 16; i++)
        {
            var task = harness.Engine.Dispatch("echo", $"t{i}");
            await task.Result.Within();
            await harness.Engine.WaitUntilAsync(() => session.Results.Count(r => r.Acked) == tasks.Count + 1).Within();
            tasks.Add(task);
        }

        // Frames are read in order: once the sentinel's result arrived, every ack before it was read (or lost).
        await harness.Engine.Dispatch("echo", "sentinel").Result.Within();
        var tracked = harness.Worker.Runtime.Tracker.Snapshot().Select(entry => entry.ResultKey.WorkflowId).ToHashSet();
        harness.Shutdown();
        return [.. tasks.Select(task => tracked.Contains(task.WorkflowId))];
    }
}
