using System.Text.Json.Nodes;
using Aion.Worker.Protocol;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace Aion.Worker.Tests.Activities;

public sealed class ActivityFailureTests
{
    private const string WorkflowId = "5d1c2a3b-0000-4000-8000-00000000abcd";

    private sealed record Order(int Id);

    private static async Task<(ActivityResult Result, WorkerHarness Harness)> RunOnceAsync(Func<Order, ActivityContext, Task<string>> handler, uint attempt = 1)
    {
        var harness = WorkerHarness.Create(builder => builder.AddActivity("orders.process", handler));
        await harness.StartAndRegisterAsync();
        var result = await harness.Engine.DispatchJson("orders.process", """{"id":7}""", new DispatchOptions { WorkflowId = WorkflowId, Position = 11, Attempt = attempt, RunId = "run-9" }).Result.Within();
        return (result, harness);
    }

    [Test]
    public async Task Retryable_failure_is_reported_as_kind_1_with_message_and_json_details()
    {
        var (result, harness) = await RunOnceAsync((_, _) => throw new RetryableActivityException("gateway timed out", new { Gateway = "acme", RetryInMs = 250 }));
        await using var _ = harness;

        Assert.That(result.OutcomeCase, Is.EqualTo(ActivityResult.OutcomeOneofCase.Error));
        Assert.That((int)result.Error.Kind, Is.EqualTo(1));
        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Retryable));
        Assert.That(result.Error.Message, Is.EqualTo("gateway timed out"));
        Assert.That(result.Error.Details, Is.Not.Null);
        Assert.That(result.Error.Details.ContentType, Is.EqualTo("application/json"));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(result.Error.Details.Bytes.ToStringUtf8()), JsonNode.Parse("""{"gateway":"acme","retryInMs":250}""")), Is.True, result.Error.Details.Bytes.ToStringUtf8());
        Assert.That(result.WorkflowId.Uuid, Is.EqualTo(WorkflowId));
        Assert.That(result.ActivityId.SequencePosition, Is.EqualTo(11));
        Assert.That(result.RunId.Uuid, Is.EqualTo("run-9"));
        await harness.StopAsync();
    }

    [Test]
    public async Task Terminal_failure_is_reported_as_kind_2_with_message_and_json_details()
    {
        var (result, harness) = await RunOnceAsync((_, _) => throw new TerminalActivityException("invalid card", new[] { "expired", "blocked" }));
        await using var _ = harness;

        Assert.That((int)result.Error.Kind, Is.EqualTo(2));
        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Is.EqualTo("invalid card"));
        Assert.That(result.Error.Details.ContentType, Is.EqualTo("application/json"));
        Assert.That(JsonNode.DeepEquals(JsonNode.Parse(result.Error.Details.Bytes.ToStringUtf8()), JsonNode.Parse("""["expired","blocked"]""")), Is.True);
        await harness.StopAsync();
    }

    [TestCase(true)]
    [TestCase(false)]
    public async Task Failure_without_details_has_no_details_payload(bool retryable)
    {
        var (result, harness) = await RunOnceAsync((_, _) => throw (retryable ? new RetryableActivityException("no details") : (ActivityFailureException)new TerminalActivityException("no details")));
        await using var _ = harness;

        Assert.That(result.Error.Kind, Is.EqualTo(retryable ? ActivityErrorKind.Retryable : ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Is.EqualTo("no details"));
        Assert.That(result.Error.Details, Is.Null);
        await harness.StopAsync();
    }

    [Test]
    public async Task Failure_whose_details_cannot_be_encoded_keeps_its_kind_and_says_so()
    {
        var (result, harness) = await RunOnceAsync((_, _) => throw new TerminalActivityException("declined", new { Ratio = double.NaN }));
        await using var _ = harness;

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Terminal));
        Assert.That(result.Error.Message, Does.StartWith("declined"));
        Assert.That(result.Error.Message, Does.Contain("details could not be encoded"));
        Assert.That(result.Error.Details, Is.Null);
        await harness.StopAsync();
    }

    [Test]
    public async Task Any_other_exception_is_retryable_with_its_message_and_logged_as_a_warning_in_the_activity_scope()
    {
        var thrown = new InvalidOperationException("database unreachable");
        var (result, harness) = await RunOnceAsync((_, _) => throw thrown, attempt: 4);
        await using var _ = harness;

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Retryable));
        Assert.That(result.Error.Message, Is.EqualTo("database unreachable"));
        Assert.That(result.Error.Details, Is.Null);
        AssertWarningInActivityScope(harness, thrown, attempt: 4);
        await harness.StopAsync();
    }

    [Test]
    public async Task Synchronous_handler_exception_is_retryable_with_its_message()
    {
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity("orders.process", (Func<Order, ActivityContext, string>)((_, _) => throw new FormatException("bad reference"))));
        await harness.StartAndRegisterAsync();

        var result = await harness.Engine.DispatchJson("orders.process", """{"id":7}""").Result.Within();

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Retryable));
        Assert.That(result.Error.Message, Is.EqualTo("bad reference"));
        await harness.StopAsync();
    }

    [Test]
    public async Task Operation_cancelled_not_caused_by_the_context_token_is_any_other_exception()
    {
        using var own = new CancellationTokenSource();
        own.Cancel();
        OperationCanceledException? thrown = null;
        var (result, harness) = await RunOnceAsync(async (_, _) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, own.Token);
            }
            catch (OperationCanceledException ex)
            {
                thrown = ex;
                throw;
            }

            return "unreachable";
        });
        await using var _ = harness;

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Retryable));
        Assert.That(result.Error.Message, Is.EqualTo(thrown!.Message));
        Assert.That(result.Error.Message, Does.Not.Contain("shutting down"));
        AssertWarningInActivityScope(harness, thrown, attempt: 1);
        await harness.StopAsync();
    }

    [Test]
    public async Task Operation_cancelled_carrying_the_uncancelled_context_token_is_any_other_exception()
    {
        var (result, harness) = await RunOnceAsync((_, context) => throw new OperationCanceledException("stopped early", context.CancellationToken));
        await using var _ = harness;

        Assert.That(result.Error.Kind, Is.EqualTo(ActivityErrorKind.Retryable));
        Assert.That(result.Error.Message, Is.EqualTo("stopped early"));
        Assert.That(harness.Logs.GetSnapshot().Count(e => e.Level == LogLevel.Warning && e.Exception is OperationCanceledException), Is.EqualTo(1));
        await harness.StopAsync();
    }

    [Test]
    public async Task Context_logger_entries_carry_the_activity_scope()
    {
        var (result, harness) = await RunOnceAsync(async (order, context) =>
        {
            await Task.Yield();
            context.Logger.LogInformation("processing order {OrderId}", order.Id);
            return "done";
        }, attempt: 2);
        await using var _ = harness;

        Assert.That(result.Result.Bytes.ToStringUtf8(), Is.EqualTo("\"done\""));
        var entry = harness.Logs.GetSnapshot().Single(e => e.Message == "processing order 7");
        var scope = ActivityScope(entry);
        Assert.That(scope, Is.Not.Null);
        Assert.That(scope!["WorkflowId"], Is.EqualTo(WorkflowId));
        Assert.That(scope["ActivityId"], Is.EqualTo(11UL));
        Assert.That(scope["Attempt"], Is.EqualTo(2U));
        Assert.That(scope["ActivityType"], Is.EqualTo("orders.process"));
        await harness.StopAsync();
    }

    private static Dictionary<string, object?>? ActivityScope(FakeLogRecord entry) => entry.Scopes
        .OfType<IEnumerable<KeyValuePair<string, object?>>>()
        .Select(s => s.ToDictionary(p => p.Key, p => p.Value))
        .SingleOrDefault(s => s.ContainsKey("WorkflowId"));

    private static void AssertWarningInActivityScope(WorkerHarness harness, Exception thrown, uint attempt)
    {
        var warnings = harness.Logs.GetSnapshot().Where(e => ReferenceEquals(e.Exception, thrown)).ToList();
        Assert.That(warnings, Has.Count.EqualTo(1), string.Join(Environment.NewLine, harness.Logs.GetSnapshot()));
        var warning = warnings[0];
        Assert.That(warning.Level, Is.EqualTo(LogLevel.Warning));
        Assert.That(warning.Message, Does.Contain("orders.process").And.Contain(WorkflowId));

        var scope = ActivityScope(warning);
        Assert.That(scope, Is.Not.Null, "the warning carries the activity scope");
        Assert.That(scope!["WorkflowId"], Is.EqualTo(WorkflowId));
        Assert.That(scope["ActivityId"], Is.EqualTo(11UL));
        Assert.That(scope["Attempt"], Is.EqualTo(attempt));
    }
}
