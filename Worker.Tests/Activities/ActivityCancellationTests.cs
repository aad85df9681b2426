using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Activities;

public sealed class ActivityCancellationTests
{
    private const string WorkflowA = "aaaaaaaa-0000-4000-8000-000000000001";
    private const string WorkflowB = "bbbbbbbb-0000-4000-8000-000000000002";

    /// <summary>A handler that announces its start, then waits for its token (or a release) and reacts as told.</summary>
    private sealed class Probe
    {
        private readonly Dictionary<string, TaskCompletionSource<ActivityContext>> _started = [];
        private readonly Lock _gate = new();

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<ActivityContext> Started(string workflowId) => Source(workflowId).Task;

        public async Task<string> ThrowWhenCancelled(string input, ActivityContext context)
        {
            Source(context.WorkflowId).TrySetResult(context);
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return "unreachable";
        }

        public async Task<string> ReturnWhenCancelled(string input, ActivityContext context)
        {
            Source(context.WorkflowId).TrySetResult(context);
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (context.CancellationToken.Register(() => cancelled.TrySetResult()))
            {
                await Task.WhenAny(cancelled.Task, Release.Task);
            }

            return $"stopped cleanly after {context.CancellationReason}";
        }

        private TaskCompletionSource<ActivityContext> Source(string workflowId)
        {
            lock (_gate)
            {
                if (!_started.TryGetValue(workflowId, out var source))
                {
                    _started[workflowId] = source = new TaskCompletionSource<ActivityContext>(TaskCreationOptions.RunContinuationsAsynchronously);
                }

                return source;
            }
        }
    }

    private static DispatchOptions At(string workflowId, ulong position = 3) => new() { WorkflowId = workflowId, Position = position };

    [Test]
    public async Task Cancelled_activity_that_throws_is_reported_terminal_cancelled()
    {
        var probe = new Probe();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<string, string>("wait", probe.ThrowWhenCancelled));
        await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("wait", "in", At(WorkflowA));
        var context = await probe.Started(WorkflowA).Within();
        Assert.That(context.CancellationReason, Is.EqualTo(ActivityCancellationReason.None));

        Assert.That(harness.Engine.CancelActivity(WorkflowA, 3), Is.True);
        var result = await task.Result.Within();

        Assert.That(context.CancellationToken.IsCancellationRequested, Is.True);
        Assert.That(context.CancellationReason, Is.EqualTo(ActivityCancellationReason.CancelRequested));
        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.Contain("cancelled"));
        Assert.That(harness.Engine.Sessions, Has.Count.EqualTo(1), "a cancel does not disturb the session");
        await harness.StopAsync();
    }

    [Test]
    public async Task Cancelled_activity_that_returns_normally_is_reported_with_its_result()
    {
        var probe = new Probe();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<string, string>("wait", probe.ReturnWhenCancelled));
        await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("wait", "in", At(WorkflowA));
        await probe.Started(WorkflowA).Within();

        harness.Engine.CancelActivity(WorkflowA, 3);
        var result = await task.Result.Within();

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Result));
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"stopped cleanly after CancelRequested\""));
        await harness.StopAsync();
    }

    [Test]
    public async Task Cancel_request_fires_only_the_named_activity()
    {
        var probe = new Probe();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<string, string>("wait", probe.ReturnWhenCancelled));
        await harness.StartAndRegisterAsync();
        var cancelled = harness.Engine.Dispatch("wait", "in", At(WorkflowA));
        var untouched = harness.Engine.Dispatch("wait", "in", At(WorkflowB));
        await probe.Started(WorkflowA).Within();
        var other = await probe.Started(WorkflowB).Within();

        harness.Engine.CancelActivity(WorkflowA, 3);
        await cancelled.Result.Within();

        Assert.That(other.CancellationToken.IsCancellationRequested, Is.False);
        Assert.That(other.CancellationReason, Is.EqualTo(ActivityCancellationReason.None));
        Assert.That(untouched.IsCompleted, Is.False);
        probe.Release.SetResult();
        var result = await untouched.Result.Within();
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"stopped cleanly after None\""));
        await harness.StopAsync();
    }

    [Test]
    public async Task Cancel_request_for_an_unknown_activity_changes_nothing()
    {
        var probe = new Probe();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<string, string>("wait", probe.ReturnWhenCancelled));
        await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("wait", "in", At(WorkflowA));
        var context = await probe.Started(WorkflowA).Within();

        harness.Engine.CancelActivity(WorkflowA, 4);
        harness.Engine.CancelActivity(WorkflowB, 3);
        harness.Engine.CancelActivity(WorkflowA, 3, attempt: 2);
        // The requests are handled in order: a real cancel after them proves they were all seen.
        harness.Engine.CancelActivity(WorkflowA, 3, attempt: 1);
        await task.Result.Within();

        Assert.That(harness.Logs.GetSnapshot().Count(e => e.Id.Id == 28), Is.EqualTo(4));
        Assert.That(harness.Logs.GetSnapshot().Where(e => e.Id.Id == 28).Select(e => e.Message.EndsWith("1 running executions cancelled", StringComparison.Ordinal)), Is.EqualTo(new[] { false, false, false, true }));
        Assert.That(context.CancellationReason, Is.EqualTo(ActivityCancellationReason.CancelRequested));
        await harness.StopAsync();
    }

    [Test]
    public async Task Cancel_request_for_a_queued_activity_fires_its_token_when_it_starts()
    {
        var probe = new Probe();
        await using var harness = WorkerHarness.Create(
            builder => builder
                .AddActivity<string, string>("block", probe.ReturnWhenCancelled)
                .AddActivity<string, string>("wait", probe.ThrowWhenCancelled),
            options => options.MaxConcurrency = 1);
        await harness.StartAndRegisterAsync();
        var blocking = harness.Engine.Dispatch("block", "in", At(WorkflowA));
        await probe.Started(WorkflowA).Within();
        var queued = harness.Engine.Dispatch("wait", "in", At(WorkflowB));
        await Poll.UntilAsync(() => harness.Worker.Runtime.InFlightCount == 2);

        harness.Engine.CancelActivity(WorkflowB, 3);
        await Poll.UntilAsync(() => harness.Logs.GetSnapshot().Any(e => e.Id.Id == 28));
        probe.Release.SetResult();
        await blocking.Result.Within();
        var result = await queued.Result.Within();

        var context = await probe.Started(WorkflowB).Within();
        Assert.That(context.CancellationReason, Is.EqualTo(ActivityCancellationReason.CancelRequested));
        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.Contain("cancelled"));
        await harness.StopAsync();
    }

    [Test]
    public async Task On_shutdown_an_activity_that_throws_is_reported_retryable_on_the_open_stream()
    {
        var probe = new Probe();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<string, string>("wait", probe.ThrowWhenCancelled));
        var session = await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("wait", "in", At(WorkflowA));
        var context = await probe.Started(WorkflowA).Within();

        harness.Shutdown();
        await harness.Run!.Within();

        Assert.That(context.CancellationReason, Is.EqualTo(ActivityCancellationReason.Shutdown));
        Assert.That(task.IsCompleted, Is.True);
        var result = task.Result.Result;
        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Retryable));
        Assert.That(result.Error.Message, Does.Contain("shutting down"));
        Assert.That(session.Results.Select(r => r.Result), Is.EqualTo(new[] { result }), "reported on the stream that was open");
        Assert.That(harness.Engine.Sessions, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task On_shutdown_an_activity_that_returns_normally_is_reported_with_its_result()
    {
        var probe = new Probe();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<string, string>("wait", probe.ReturnWhenCancelled));
        var session = await harness.StartAndRegisterAsync();
        var task = harness.Engine.Dispatch("wait", "in", At(WorkflowA));
        await probe.Started(WorkflowA).Within();

        await harness.StopAsync();

        var result = await task.Result.Within();
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"stopped cleanly after Shutdown\""));
        Assert.That(session.Results, Has.Count.EqualTo(1));
    }
}
