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

    [Test]
    public async Task Context_without_run_id_or_labels_and_with_no_liveness_window_shows_them_absent()
    {
        ActivityContext? seen = null;
        await using var harness = WorkerHarness.Create(
            builder => builder.AddActivity<DoubleInput, DoubleOutput>("math.double", (input, context) =>
            {
                seen = context;
                return new DoubleOutput(input.Value * 2);
            }),
            engineOptions: new InMemoryEngineOptions { HeartbeatWindow = TimeSpan.Zero });
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("math.double", """{"value":1}""").Result.Within();

        Assert.That(result.RunId, Is.Null, "no run id is invented");
        Assert.That(seen!.RunId, Is.Null);
        Assert.That(seen.Labels, Is.Empty);
        Assert.That(seen.Attempt, Is.EqualTo(1));
        Assert.That(seen.HeartbeatWindow, Is.EqualTo(TimeSpan.Zero));
        Assert.That(seen.CancellationToken.IsCancellationRequested, Is.False);
        await harness.StopAsync();
    }

    [Test]
    public async Task Async_handler_result_is_reported_once_it_completes()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<DoubleInput, DoubleOutput>("math.double", async (input, _) =>
        {
            started.TrySetResult();
            await release.Task;
            return new DoubleOutput(input.Value * 2);
        }));
        await harness.StartAndRegisterAsync();

        var task = harness.Engine.DispatchJson("math.double", """{"value":21}""");
        await started.Task.Within();
        Assert.That(task.IsCompleted, Is.False, "no result before the handler completes");
        release.SetResult();
        var result = await task.Result.Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"doubled":42}"""));
        await harness.StopAsync();
    }

    [Test]
    public async Task Input_properties_are_read_case_insensitively()
    {
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<DoubleInput, DoubleOutput>("math.double", (input, _) => new DoubleOutput(input.Value * 2)));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("math.double", """{"Value":5}""").Result.Within();

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"doubled":10}"""));
        await harness.StopAsync();
    }

    [Test]
    public async Task Class_based_instance_is_shared_by_every_execution()
    {
        var activity = new CountingActivity();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity("math.double", activity));
        await harness.StartAndRegisterAsync();

        var first = await harness.Engine.DispatchJson("math.double", """{"value":1}""").Result.Within();
        var second = await harness.Engine.DispatchJson("math.double", """{"value":2}""").Result.Within();

        Assert.That(first.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"doubled":2}"""));
        Assert.That(second.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"doubled":4}"""));
        Assert.That(activity.Executions, Is.EqualTo(2));
        await harness.StopAsync();
    }

    [Test]
    public async Task Factory_creates_an_activity_per_execution_and_disposes_it_before_the_result_is_sent()
    {
        var created = new List<DisposableActivity>();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<DoubleInput, DoubleOutput>("math.double", () =>
        {
            var activity = new DisposableActivity();
            lock (created)
            {
                created.Add(activity);
            }

            return activity;
        }));
        await harness.StartAndRegisterAsync();

        var first = await harness.Engine.DispatchJson("math.double", """{"value":3}""").Result.Within();
        int disposedWhenFirstReported;
        lock (created)
        {
            disposedWhenFirstReported = created.Count(a => a.Disposed);
        }

        var second = await harness.Engine.DispatchJson("math.double", """{"value":4}""").Result.Within();

        Assert.That(first.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"doubled":6}"""));
        Assert.That(second.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{"doubled":8}"""));
        Assert.That(disposedWhenFirstReported, Is.EqualTo(1));
        Assert.That(created, Has.Count.EqualTo(2));
        Assert.That(created[0], Is.Not.SameAs(created[1]));
        Assert.That(created.All(a => a.Disposed && a.Executions == 1), Is.True);
        await harness.StopAsync();
    }

    [Test]
    public async Task Factory_activity_is_disposed_asynchronously_even_when_it_fails()
    {
        var activity = new AsyncDisposableFailingActivity();
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<DoubleInput, DoubleOutput>("math.double", () => activity));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("math.double", """{"value":3}""").Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Is.EqualTo("cannot double"));
        Assert.That(activity.DisposedAsync, Is.True);
        await harness.StopAsync();
    }

    [Test]
    public async Task Raw_payload_input_and_output_pass_through_unchanged()
    {
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<Payload, Payload>("raw.echo", (input, _) => input));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("raw.echo", """{ "spacing" : [1, 2] }""").Result.Within();

        Assert.That(result.Result.ContentType, Is.EqualTo("application/json"));
        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("""{ "spacing" : [1, 2] }"""));
        await harness.StopAsync();
    }

    private sealed class CountingActivity : IActivity<DoubleInput, DoubleOutput>
    {
        private int _executions;

        public int Executions => Volatile.Read(ref _executions);

        public Task<DoubleOutput> ExecuteAsync(DoubleInput input, ActivityContext context)
        {
            Interlocked.Increment(ref _executions);
            return Task.FromResult(new DoubleOutput(input.Value * 2));
        }
    }

    private sealed class DisposableActivity : IActivity<DoubleInput, DoubleOutput>, IDisposable
    {
        public int Executions { get; private set; }

        public bool Disposed { get; private set; }

        public async Task<DoubleOutput> ExecuteAsync(DoubleInput input, ActivityContext context)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            Executions++;
            await Task.Yield();
            return new DoubleOutput(input.Value * 2);
        }

        public void Dispose() => Disposed = true;
    }

    private sealed class AsyncDisposableFailingActivity : IActivity<DoubleInput, DoubleOutput>, IAsyncDisposable
    {
        public bool DisposedAsync { get; private set; }

        public Task<DoubleOutput> ExecuteAsync(DoubleInput input, ActivityContext context) =>
            throw new TerminalActivityException("cannot double");

        public async ValueTask DisposeAsync()
        {
            await Task.Yield();
            DisposedAsync = true;
        }
    }
}
