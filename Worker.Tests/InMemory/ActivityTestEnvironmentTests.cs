using System.Text.Json;
using System.Text.Json.Serialization;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Google.Protobuf;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;

namespace Aion.Worker.Tests.InMemory;

/// <summary>ActivityTestEnvironment: one activity, no engine — every registration shape, heartbeats, cancellation and the worker's classification.</summary>
public sealed class ActivityTestEnvironmentTests
{
    private const string Workflow = "0f0f0f0f-0000-4000-8000-00000000000a";

    public sealed record Charge(int Amount);

    public sealed record Receipt(int Amount, string Reference);

    public sealed record Step(string Name, int Of);

    private sealed class ChargeActivity : IActivity<Charge, Receipt>
    {
        public async Task<Receipt> ExecuteAsync(Charge input, ActivityContext context)
        {
            await context.HeartbeatAsync(new Step("authorizing", 2), context.CancellationToken);
            return new Receipt(input.Amount, $"{context.WorkflowId}/{context.ActivityId}#{context.Attempt}");
        }
    }

    private sealed class DisposableActivity : IActivity<Charge, Receipt>, IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public Task<Receipt> ExecuteAsync(Charge input, ActivityContext context) => Task.FromResult(new Receipt(input.Amount, "factory"));

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return default;
        }
    }

    [Test]
    public async Task A_typed_handler_sees_the_given_ids_attempt_run_id_labels_and_heartbeat_window()
    {
        ActivityContext? seen = null;
        var environment = new ActivityTestEnvironment { HeartbeatWindow = TimeSpan.FromSeconds(30) }
            .AddActivity<Charge, Receipt>("charge", (input, context) =>
            {
                seen = context;
                return Task.FromResult(new Receipt(input.Amount, "r"));
            });

        var result = await environment.RunAsync("charge", new Charge(42), new DispatchOptions
        {
            WorkflowId = Workflow,
            Position = 7,
            Attempt = 3,
            RunId = "run-1",
            Labels = new Dictionary<string, string> { ["tenant"] = "acme" },
        }).Within();

        Assert.That(result.Succeeded, Is.True);
        Assert.That(result.GetOutput<Receipt>(), Is.EqualTo(new Receipt(42, "r")));
        Assert.That(result.Result.WorkflowId.Uuid, Is.EqualTo(Workflow));
        Assert.That(result.Result.ActivityId.SequencePosition, Is.EqualTo(7UL));
        Assert.That(result.Result.RunId.Uuid, Is.EqualTo("run-1"));
        Assert.That(seen!.WorkflowId, Is.EqualTo(Workflow));
        Assert.That(seen.ActivityId, Is.EqualTo(7UL));
        Assert.That(seen.Attempt, Is.EqualTo(3U));
        Assert.That(seen.RunId, Is.EqualTo("run-1"));
        Assert.That(seen.ActivityType, Is.EqualTo("charge"));
        Assert.That(seen.Labels, Is.EqualTo(new Dictionary<string, string> { ["tenant"] = "acme" }));
        Assert.That(seen.HeartbeatWindow, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(result.Heartbeats, Is.Empty);
    }

    [Test]
    public async Task Default_ids_are_a_new_workflow_id_the_next_position_and_attempt_one()
    {
        var environment = new ActivityTestEnvironment().AddActivity<int, int>("double", (input, _) => input * 2);

        var first = environment.Start("double", 2);
        var second = environment.Start("double", 3);

        Assert.That((await first.Completion.Within()).GetOutput<int>(), Is.EqualTo(4));
        Assert.That((await second.Completion.Within()).GetOutput<int>(), Is.EqualTo(6));
        Assert.That(first.Attempt, Is.EqualTo(1U));
        Assert.That(second.Position, Is.EqualTo(first.Position + 1));
        Assert.That(Guid.TryParse(first.WorkflowId, out _), Is.True);
        Assert.That(second.WorkflowId, Is.Not.EqualTo(first.WorkflowId));
    }

    [Test]
    public async Task Every_registration_shape_runs()
    {
        var perExecution = new List<DisposableActivity>();
        var services = new ServiceStub(new Receipt(5, "from-services"));
        var environment = new ActivityTestEnvironment()
            .UseServices(services)
            .AddActivity<Charge, Receipt>("async", (input, _) => Task.FromResult(new Receipt(input.Amount, "async")))
            .AddActivity<Charge, Receipt>("sync", (input, _) => new Receipt(input.Amount, "sync"))
            .AddActivity("instance", new ChargeActivity())
            .AddActivity("factory", () =>
            {
                var activity = new DisposableActivity();
                perExecution.Add(activity);
                return activity;
            })
            .AddActivity("context-factory", context => new ServiceActivity((Receipt)context.Services!.GetService(typeof(Receipt))!))
            .AddActivity<Payload, Payload>("raw", (input, _) => new Payload { ContentType = input.ContentType, Bytes = ByteString.CopyFromUtf8(input.Bytes.ToStringUtf8().ToUpperInvariant()) })
            .AddActivity("json-metadata", (Charge input, ActivityContext _) => new Receipt(input.Amount, "json"), EnvironmentJson.Default.Charge, EnvironmentJson.Default.Receipt);

        Assert.That((await environment.RunAsync("async", new Charge(1)).Within()).GetOutput<Receipt>(), Is.EqualTo(new Receipt(1, "async")));
        Assert.That((await environment.RunAsync("sync", new Charge(2)).Within()).GetOutput<Receipt>(), Is.EqualTo(new Receipt(2, "sync")));
        var instance = await environment.RunAsync("instance", new Charge(3), new DispatchOptions { WorkflowId = Workflow, Position = 9, Attempt = 2 }).Within();
        Assert.That(instance.GetOutput<Receipt>(), Is.EqualTo(new Receipt(3, $"{Workflow}/9#2")));
        Assert.That((await environment.RunAsync("factory", new Charge(4)).Within()).GetOutput<Receipt>(), Is.EqualTo(new Receipt(4, "factory")));
        Assert.That(perExecution.Single().Disposed, Is.True, "a per-execution activity is disposed after it ran, as in the worker");
        Assert.That((await environment.RunAsync("context-factory", new Charge(5)).Within()).GetOutput<Receipt>(), Is.EqualTo(new Receipt(5, "from-services")));
        var raw = await environment.RunAsync("raw", new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("\"abc\"") }).Within();
        Assert.That(raw.GetOutput<Payload>().Bytes.ToStringUtf8(), Is.EqualTo("\"ABC\""));
        var json = await environment.Start("json-metadata", new Charge(6), EnvironmentJson.Default.Charge).Completion.Within();
        Assert.That(json.GetOutput(EnvironmentJson.Default.Receipt), Is.EqualTo(new Receipt(6, "json")));
    }

    [Test]
    public async Task Heartbeats_are_captured_in_order_with_typed_read_back_and_the_clock_s_time()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var environment = new ActivityTestEnvironment()
            .UseTimeProvider(time)
            .AddActivity<Charge, Receipt>("charge", async (input, context) =>
            {
                await context.HeartbeatAsync(new Step("authorizing", 2));
                await release.Task;
                await context.HeartbeatAsync(new Step("capturing", 2), EnvironmentJson.Default.Step);
                return new Receipt(input.Amount, "r");
            });

        var run = environment.Start("charge", new Charge(1));
        var first = await run.WaitForHeartbeatsAsync(1).Within();
        Assert.That(first.Single().GetProgress<Step>(), Is.EqualTo(new Step("authorizing", 2)));
        Assert.That(first.Single().SentAt, Is.EqualTo(time.GetUtcNow()));
        Assert.That(run.IsCompleted, Is.False);

        time.Advance(TimeSpan.FromSeconds(1));
        release.SetResult();
        var result = await run.Completion.Within();

        Assert.That(result.Heartbeats.Select(h => h.GetProgress<Step>()), Is.EqualTo(new[] { new Step("authorizing", 2), new Step("capturing", 2) }));
        Assert.That(result.Heartbeats.Select(h => h.Index), Is.EqualTo(new[] { 0, 1 }));
        Assert.That(result.Heartbeats[1].SentAt, Is.EqualTo(first[0].SentAt.AddSeconds(1)));
        Assert.That(result.Heartbeats[1].GetProgress(EnvironmentJson.Default.Step), Is.EqualTo(new Step("capturing", 2)));
        Assert.That(result.Heartbeats[0].Heartbeat.WorkflowId, Is.EqualTo(result.Result.WorkflowId));
        Assert.That(result.Heartbeats[0].Progress.ContentType, Is.EqualTo("application/json"));
        Assert.That(run.Heartbeats, Has.Count.EqualTo(2));
    }

    [Test]
    public async Task Waiting_for_more_heartbeats_than_the_activity_sends_fails_when_it_ends()
    {
        var environment = new ActivityTestEnvironment().AddActivity<int, int>("one-beat", async (input, context) =>
        {
            await context.HeartbeatAsync(input);
            return input;
        });

        var run = environment.Start("one-beat", 1);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () => await run.WaitForHeartbeatsAsync(2).Within());
        Assert.That(error!.Message, Does.Contain("ended after 1 progress heartbeat"));
        Assert.That((await run.Completion.Within()).GetOutput<int>(), Is.EqualTo(1));
        Assert.That(await run.WaitForHeartbeatsAsync(1).Within(), Has.Count.EqualTo(1));
    }

    [Test]
    public async Task A_progress_heartbeat_over_the_size_limit_throws_in_the_activity_as_in_the_worker()
    {
        var environment = new ActivityTestEnvironment { MaxSendMessageSize = 1024 }
            .AddActivity<int, string>("big-progress", async (_, context) =>
            {
                try
                {
                    await context.HeartbeatAsync(new string('x', 2048));
                    return "sent";
                }
                catch (ArgumentException error)
                {
                    return error.Message;
                }
            });

        var result = await environment.RunAsync("big-progress", 0).Within();

        Assert.That(result.GetOutput<string>(), Does.Contain("over the worker's max send message size of 1024 bytes"));
        Assert.That(result.Heartbeats, Is.Empty);
    }

    [TestCase(ActivityCancellationReason.CancelRequested, ActivityErrorKind.Terminal, "cancelled at the engine's request")]
    [TestCase(ActivityCancellationReason.Shutdown, ActivityErrorKind.Retryable, "shutting down")]
    public async Task Cancel_with_a_reason_fires_the_token_and_classifies_as_the_worker_does(ActivityCancellationReason reason, ActivityErrorKind kind, string message)
    {
        ActivityContext? seen = null;
        var environment = new ActivityTestEnvironment().AddActivity<int, int>("wait", async (input, context) =>
        {
            seen = context;
            await context.HeartbeatAsync("started");
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return input;
        });

        var run = environment.Start("wait", 1);
        await run.WaitForHeartbeatsAsync().Within();
        run.Cancel(reason);
        run.Cancel(reason == ActivityCancellationReason.Shutdown ? ActivityCancellationReason.CancelRequested : ActivityCancellationReason.Shutdown);
        var result = await run.Completion.Within();

        Assert.That(seen!.CancellationReason, Is.EqualTo(reason), "only the first cancellation counts");
        var failure = result.GetFailure();
        Assert.That(failure.Kind, Is.EqualTo(kind));
        Assert.That(failure.Message, Does.Contain(message));
    }

    [Test]
    public async Task An_activity_that_returns_after_its_cancellation_is_reported_with_its_result()
    {
        var environment = new ActivityTestEnvironment().AddActivity<int, string>("stop-cleanly", async (_, context) =>
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (context.CancellationToken.Register(cancelled.SetResult))
            {
                await cancelled.Task;
            }

            return $"stopped after {context.CancellationReason}";
        });

        var run = environment.Start("stop-cleanly", 0);
        run.Cancel(ActivityCancellationReason.CancelRequested);

        Assert.That((await run.Completion.Within()).GetOutput<string>(), Is.EqualTo("stopped after CancelRequested"));
    }

    [Test]
    public async Task RunAsync_cancelled_by_its_token_is_a_shutdown()
    {
        var environment = new ActivityTestEnvironment().AddActivity<int, int>("wait", async (input, context) =>
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
            return input;
        });
        using var shutdown = new CancellationTokenSource();

        var pending = environment.RunAsync("wait", 1, cancellationToken: shutdown.Token);
        await shutdown.CancelAsync();
        var result = await pending.Within();

        Assert.That(result.GetFailure().IsRetryable, Is.True);
        Assert.That(result.GetFailure().Message, Does.Contain("shutting down"));
    }

    [Test]
    public void Cancel_without_a_reason_is_refused()
    {
        var environment = new ActivityTestEnvironment().AddActivity<int, int>("echo", (input, _) => input);
        var run = environment.Start("echo", 1);

        Assert.Throws<ArgumentOutOfRangeException>(() => run.Cancel(ActivityCancellationReason.None));
    }

    [Test]
    public async Task Failures_are_classified_as_the_worker_reports_them()
    {
        var environment = new ActivityTestEnvironment()
            .AddActivity<int, int>("throws", (_, _) => Fail(new InvalidOperationException("boom")))
            .AddActivity<int, int>("terminal", (_, _) => Fail(new TerminalActivityException("card declined", new Step("declined", 1))))
            .AddActivity<int, int>("retryable", (_, _) => Fail(new RetryableActivityException("gateway busy")));

        var throws = (await environment.RunAsync("throws", 1).Within()).GetFailure();
        var terminal = (await environment.RunAsync("terminal", 1).Within()).GetFailure();
        var retryable = (await environment.RunAsync("retryable", 1).Within()).GetFailure();

        Assert.That((throws.Kind, throws.Message), Is.EqualTo((ActivityErrorKind.Retryable, "boom")));
        Assert.That((terminal.Kind, terminal.Message), Is.EqualTo((ActivityErrorKind.Terminal, "card declined")));
        Assert.That(terminal.GetDetails<Step>(), Is.EqualTo(new Step("declined", 1)));
        Assert.That((retryable.Kind, retryable.Message), Is.EqualTo((ActivityErrorKind.Retryable, "gateway busy")));
        var thrown = await environment.RunAsync("throws", 1).Within();
        var error = Assert.Throws<InvalidOperationException>(() => thrown.GetOutput<int>());
        Assert.That(error!.Message, Does.Contain("boom"));
    }

    [Test]
    public async Task Json_null_and_undecodable_input_are_terminal_before_the_handler_runs()
    {
        var ran = 0;
        var environment = new ActivityTestEnvironment()
            .AddActivity<Charge, int>("charge", (input, _) => Interlocked.Increment(ref ran))
            .AddActivity<Charge?, string>("nullable", (input, _) => input is null ? "null accepted" : "value", new ActivityOptions { AcceptsNullInput = true });

        var nullInput = (await environment.RunAsync<Charge?>("charge", null).Within()).GetFailure();
        var badInput = (await environment.RunAsync("charge", new Payload { ContentType = "application/json", Bytes = ByteString.CopyFromUtf8("{\"amount\":\"lots\"}") }).Within()).GetFailure();
        var accepted = await environment.RunAsync<Charge?>("nullable", null).Within();

        Assert.That(nullInput.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(nullInput.Message, Does.Contain("JSON null"));
        Assert.That(badInput.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(badInput.Message, Does.Contain("could not be decoded"));
        Assert.That(ran, Is.Zero, "the handler never ran");
        Assert.That(accepted.GetOutput<string>(), Is.EqualTo("null accepted"));
    }

    [Test]
    public async Task A_result_over_the_size_limit_is_terminal()
    {
        var environment = new ActivityTestEnvironment { MaxSendMessageSize = 1024 }
            .AddActivity<int, string>("big", (size, _) => new string('x', size));

        Assert.That((await environment.RunAsync("big", 10).Within()).Succeeded, Is.True);
        var failure = (await environment.RunAsync("big", 2048).Within()).GetFailure();
        Assert.That(failure.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(failure.Message, Does.Contain("too large"));
    }

    [Test]
    public async Task Interceptors_wrap_the_activity_and_the_logger_carries_the_execution_scope()
    {
        var collector = new FakeLogCollector();
        using var loggerFactory = LoggerFactory.Create(logging => logging.AddProvider(new FakeLoggerProvider(collector)));
        var interceptor = new RecordingInterceptor();
        var environment = new ActivityTestEnvironment()
            .UseInterceptor(interceptor)
            .UseLoggerFactory(loggerFactory)
            .AddActivity<int, int>("logs", (input, context) =>
            {
                context.Logger.LogInformation("charging {Amount}", input);
                return input;
            });

        var result = await environment.RunAsync("logs", 12, new DispatchOptions { WorkflowId = Workflow, Position = 4 }).Within();

        Assert.That(result.GetOutput<int>(), Is.EqualTo(12));
        Assert.That(interceptor.Seen, Is.EqualTo(new[] { "logs 0f0f0f0f-0000-4000-8000-00000000000a/4 attempt 1" }));
        var entry = collector.GetSnapshot().Single(e => e.Message == "charging 12");
        Assert.That(entry.Category, Is.EqualTo("Aion.Worker"));
        var scope = entry.Scopes.OfType<IReadOnlyList<KeyValuePair<string, object?>>>().Single();
        Assert.That(scope, Does.Contain(new KeyValuePair<string, object?>("WorkflowId", Workflow)));
        Assert.That(scope, Does.Contain(new KeyValuePair<string, object?>("ActivityId", 4UL)));
    }

    [Test]
    public async Task DisposeAfterOutcome_resources_are_disposed_once_the_outcome_is_known()
    {
        var resource = new TrackedResource();
        var environment = new ActivityTestEnvironment().AddActivity<int, int>("uses", (input, context) =>
        {
            context.DisposeAfterOutcome(resource);
            return input;
        });

        await environment.RunAsync("uses", 1).Within();

        Assert.That(resource.Disposed, Is.True);
    }

    [Test]
    public void Starting_an_unregistered_type_names_the_registered_ones()
    {
        var environment = new ActivityTestEnvironment().AddActivity<int, int>("echo", (input, _) => input);

        var error = Assert.Throws<ArgumentException>(() => environment.Start("missing", 1));
        Assert.That(error!.Message, Does.Contain("'missing'").And.Contain("echo"));
        Assert.Throws<ArgumentException>(() => environment.AddActivity<int, int>("echo", (input, _) => input));
    }

    [Test]
    public async Task A_codec_of_its_own_encodes_inputs_and_decodes_outputs()
    {
        var codec = new Aion.Worker.Codec.JsonPayloadCodec(EnvironmentJson.Default);
        var environment = new ActivityTestEnvironment().UseCodec(codec)
            .AddActivity<Charge, Receipt>("charge", (input, _) => new Receipt(input.Amount, "ctx"));

        var result = await environment.RunAsync("charge", new Charge(8)).Within();

        Assert.That(environment.Codec, Is.SameAs(codec));
        Assert.That(result.GetOutput<Receipt>(), Is.EqualTo(new Receipt(8, "ctx")));
        Assert.That(result.Result.Result.Bytes.ToStringUtf8(), Is.EqualTo("{\"amount\":8,\"reference\":\"ctx\"}"));
    }

    private static int Fail(Exception error) => throw error;

    private sealed class ServiceStub(Receipt receipt) : IServiceProvider
    {
        public object? GetService(Type serviceType) => serviceType == typeof(Receipt) ? receipt : null;
    }

    private sealed class ServiceActivity(Receipt receipt) : IActivity<Charge, Receipt>
    {
        public Task<Receipt> ExecuteAsync(Charge input, ActivityContext context) => Task.FromResult(receipt with { Amount = input.Amount });
    }

    private sealed class RecordingInterceptor : IActivityInterceptor
    {
        public List<string> Seen { get; } = [];

        public ValueTask<Payload> InterceptAsync(ActivityContext context, Payload input, ActivityInvocation next)
        {
            Seen.Add(context.ToString());
            return next(context, input);
        }
    }

    private sealed class TrackedResource : IAsyncDisposable
    {
        public bool Disposed { get; private set; }

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return default;
        }
    }
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ActivityTestEnvironmentTests.Charge))]
[JsonSerializable(typeof(ActivityTestEnvironmentTests.Receipt))]
[JsonSerializable(typeof(ActivityTestEnvironmentTests.Step))]
internal sealed partial class EnvironmentJson : JsonSerializerContext;
