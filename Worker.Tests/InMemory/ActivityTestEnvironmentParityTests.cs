using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Google.Protobuf;

namespace Aion.Worker.Tests.InMemory;

/// <summary>
/// The same handlers run by a worker over the in-memory engine and by <see cref="ActivityTestEnvironment"/>:
/// the result frames and the progress heartbeats must be identical, field by field.
/// </summary>
public sealed class ActivityTestEnvironmentParityTests
{
    private const int MaxSendMessageSize = 2048;

    public sealed record Charge(int Amount);

    public sealed record Receipt(int Amount, string Reference);

    public sealed record Step(string Name);

    private sealed class ChargeActivity : IActivity<Charge, Receipt>
    {
        public async Task<Receipt> ExecuteAsync(Charge input, ActivityContext context)
        {
            await context.HeartbeatAsync(new Step("instance"));
            return new Receipt(input.Amount, $"{context.RunId}:{string.Join(",", context.Labels.Select(l => $"{l.Key}={l.Value}"))}");
        }
    }

    private sealed class DisposableActivity : IActivity<Charge, Receipt>, IDisposable
    {
        public Task<Receipt> ExecuteAsync(Charge input, ActivityContext context) =>
            input.Amount < 0 ? throw new TerminalActivityException("negative", new Step("refused")) : Task.FromResult(new Receipt(input.Amount, "factory"));

        public void Dispose()
        {
        }
    }

    /// <summary>Every registration shape and every outcome class, registered the same way on both sides.</summary>
    private static TBuilder Register<TBuilder>(TBuilder builder)
        where TBuilder : ActivityRegistrationBuilder<TBuilder> => builder
        .AddActivity<Charge, Receipt>("async", async (input, context) =>
        {
            await context.HeartbeatAsync(new Step("one"));
            await context.HeartbeatAsync(new Step("two"));
            return new Receipt(input.Amount, $"{context.WorkflowId}/{context.ActivityId}#{context.Attempt}");
        })
        .AddActivity<Charge, Receipt>("sync", (input, _) => new Receipt(input.Amount, "sync"))
        .AddActivity("instance", new ChargeActivity())
        .AddActivity("factory", () => new DisposableActivity())
        .AddActivity<Payload, Payload>("raw", (input, _) => Task.FromResult(new Payload { ContentType = input.ContentType, Bytes = input.Bytes }))
        .AddActivity<Charge, Receipt>("throws", (_, _) => Fail(new InvalidOperationException("boom")))
        .AddActivity<Charge, Receipt>("throws-empty", (_, _) => Fail(new InvalidOperationException(string.Empty)))
        .AddActivity<Charge, Receipt>("terminal", (_, _) => Fail(new TerminalActivityException("card declined", new Step("declined"))))
        .AddActivity<Charge, Receipt>("retryable", (_, _) => Fail(new RetryableActivityException("gateway busy")))
        .AddActivity<Charge, string>("big", (input, _) => new string('x', input.Amount))
        .AddActivity<Charge?, string>("nullable", (input, _) => input is null ? "null" : "value", new ActivityOptions { AcceptsNullInput = true })
        .AddActivity<Charge, Receipt>("wait", async (input, context) =>
        {
            await context.HeartbeatAsync(new Step("waiting"));
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return new Receipt(input.Amount, "unreachable");
        })
        .AddActivity<Charge, string>("wait-then-return", async (_, context) =>
        {
            await context.HeartbeatAsync(new Step("waiting"));
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (context.CancellationToken.Register(cancelled.SetResult))
            {
                await cancelled.Task;
            }

            return $"stopped after {context.CancellationReason}";
        });

    private static Receipt Fail(Exception error) => throw error;

    private static Payload Json(string json) => new() { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8(json) };

    public static IEnumerable<TestCaseData> Cases()
    {
        yield return new TestCaseData("async", Json("{\"amount\":1}")).SetName("{m}(typed async, two heartbeats)");
        yield return new TestCaseData("sync", Json("{\"amount\":2}")).SetName("{m}(typed sync)");
        yield return new TestCaseData("instance", Json("{\"amount\":3}")).SetName("{m}(IActivity instance)");
        yield return new TestCaseData("factory", Json("{\"amount\":4}")).SetName("{m}(IActivity factory)");
        yield return new TestCaseData("factory", Json("{\"amount\":-4}")).SetName("{m}(terminal with details from a factory activity)");
        yield return new TestCaseData("raw", Json("[1,2,3]")).SetName("{m}(raw payload)");
        yield return new TestCaseData("throws", Json("{\"amount\":5}")).SetName("{m}(exception is retryable)");
        yield return new TestCaseData("throws-empty", Json("{\"amount\":5}")).SetName("{m}(exception without message)");
        yield return new TestCaseData("terminal", Json("{\"amount\":6}")).SetName("{m}(terminal with details)");
        yield return new TestCaseData("retryable", Json("{\"amount\":7}")).SetName("{m}(retryable exception)");
        yield return new TestCaseData("sync", Json("null")).SetName("{m}(JSON null input is terminal)");
        yield return new TestCaseData("nullable", Json(" null ")).SetName("{m}(JSON null accepted by option)");
        yield return new TestCaseData("sync", Json("{\"amount\":\"lots\"}")).SetName("{m}(undecodable input is terminal)");
        yield return new TestCaseData("sync", new Payload { ContentType = "text/plain", Bytes = ByteString.CopyFromUtf8("hi") }).SetName("{m}(foreign content type is terminal)");
        yield return new TestCaseData("big", Json("{\"amount\":4096}")).SetName("{m}(result over the size limit is terminal)");
    }

    [TestCaseSource(nameof(Cases))]
    public async Task Outcome_and_heartbeats_match_a_worker_run(string activityType, Payload input)
    {
        var options = Dispatch();

        await using var harness = WorkerHarness.Create(builder => Register(builder), configure: o => o.MaxSendMessageSize = MaxSendMessageSize);
        await harness.StartAndRegisterAsync();
        var viaEngine = await harness.Engine.Dispatch(activityType, input.Clone(), options).Result.Within();
        var engineBeats = ProgressOf(harness.Engine, options.WorkflowId!);
        await harness.StopAsync();

        var environment = Register(new ActivityTestEnvironment { MaxSendMessageSize = MaxSendMessageSize });
        var viaEnvironment = await environment.RunAsync(activityType, input.Clone(), options).Within();

        if (activityType is "async")
        {
            Assert.That(engineBeats, Has.Length.EqualTo(2), "the comparison sees the heartbeats");
        }

        Assert.That(viaEnvironment.Result, Is.EqualTo(viaEngine), "the result frame, field by field");
        Assert.That(viaEnvironment.Heartbeats.Select(h => h.Heartbeat), Is.EqualTo(engineBeats), "the progress heartbeats, field by field");
    }

    [TestCase("wait")]
    [TestCase("wait-then-return")]
    public async Task A_cancel_request_matches_the_engine_s_cancel(string activityType)
    {
        var options = Dispatch();
        var input = Json("{\"amount\":9}");

        await using var harness = WorkerHarness.Create(builder => Register(builder));
        await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch(activityType, input.Clone(), options);
        await harness.Engine.WaitUntilAsync(() => harness.Engine.Heartbeats.Any(h => h.HasProgress && h.WorkflowId == options.WorkflowId), Bounds.Token());
        Assert.That(harness.Engine.CancelActivity(options.WorkflowId!, options.Position!.Value), Is.True);
        var viaEngine = await task.Result.Within();
        var engineBeats = ProgressOf(harness.Engine, options.WorkflowId!);
        await harness.StopAsync();

        var run = Register(new ActivityTestEnvironment()).Start(activityType, input.Clone(), options);
        await run.WaitForHeartbeatsAsync().Within();
        run.Cancel(ActivityCancellationReason.CancelRequested);
        var viaEnvironment = await run.Completion.Within();

        Assert.That(viaEnvironment.Result, Is.EqualTo(viaEngine));
        Assert.That(viaEnvironment.Heartbeats.Select(h => h.Heartbeat), Is.EqualTo(engineBeats));
    }

    [TestCase("wait")]
    [TestCase("wait-then-return")]
    public async Task A_shutdown_matches_the_worker_s_shutdown(string activityType)
    {
        var options = Dispatch();
        var input = Json("{\"amount\":10}");

        await using var harness = WorkerHarness.Create(builder => Register(builder));
        await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch(activityType, input.Clone(), options);
        await harness.Engine.WaitUntilAsync(() => harness.Engine.Heartbeats.Any(h => h.HasProgress && h.WorkflowId == options.WorkflowId), Bounds.Token());
        await harness.StopAsync();
        var viaEngine = await task.Result.Within();

        var run = Register(new ActivityTestEnvironment()).Start(activityType, input.Clone(), options);
        await run.WaitForHeartbeatsAsync().Within();
        run.Cancel(ActivityCancellationReason.Shutdown);
        var viaEnvironment = await run.Completion.Within();

        Assert.That(viaEnvironment.Result, Is.EqualTo(viaEngine));
    }

    private static DispatchOptions Dispatch() => new()
    {
        WorkflowId = Guid.NewGuid().ToString(),
        Position = 11,
        Attempt = 2,
        RunId = "run-7",
        Labels = new Dictionary<string, string> { ["tenant"] = "acme", ["region"] = "eu" },
    };

    private static Heartbeat[] ProgressOf(InMemoryEngine engine, string workflowId) =>
        [.. engine.Heartbeats.Where(h => h.HasProgress && h.WorkflowId == workflowId).Select(h => h.Heartbeat)];
}
