using System.Diagnostics;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Tests.Support;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;

namespace Aion.Worker.Tests.Diagnostics;

public sealed class TelemetryTests
{
    private sealed record Input(int Value);

    private sealed record Output(int Value);

    private static WorkerHarness Harness() => WorkerHarness.Create(builder => builder
        .AddActivity<Input, Output>("math.ok", (input, context) =>
        {
            context.Logger.LogInformation("computing {Value}", input.Value);
            return new Output(input.Value);
        })
        .AddActivity<Input, Output>("math.fail", Output (_, _) => throw new TerminalActivityException("bad input"))
        .AddActivity<Input, Output>("math.flaky", Output (_, _) => throw new InvalidOperationException("flaky")));

    private static bool Mine(IReadOnlyDictionary<string, object?> tags, WorkerHarness harness) =>
        tags.TryGetValue(AionWorkerDiagnostics.Tags.Identity, out var identity) && Equals(identity, harness.Worker.Options.Identity);

    [Test]
    public async Task Counters_and_duration_histogram_carry_the_exact_names_and_tags()
    {
        await using var harness = Harness();
        using var received = new MetricCollector<long>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.TasksReceived);
        using var completed = new MetricCollector<long>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.TasksCompleted);
        using var failed = new MetricCollector<long>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.TasksFailed);
        using var duration = new MetricCollector<double>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.ActivityDuration);
        using var sessions = new MetricCollector<long>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.SessionsOpened);
        await harness.StartAndRegisterAsync();

        await harness.Engine.Dispatch("math.ok", new Input(1)).Result.Within();
        await harness.Engine.Dispatch("math.fail", new Input(2)).Result.Within();
        await harness.Engine.Dispatch("math.flaky", new Input(3)).Result.Within();
        await harness.StopAsync();

        Assert.That(received.GetMeasurementSnapshot().Where(m => Mine(m.Tags, harness)).Sum(m => m.Value), Is.EqualTo(3));
        var ok = completed.GetMeasurementSnapshot().Where(m => Mine(m.Tags, harness)).ToArray();
        Assert.That(ok, Has.Length.EqualTo(1));
        Assert.That(ok[0].Tags[AionWorkerDiagnostics.Tags.ActivityType], Is.EqualTo("math.ok"));
        var failures = failed.GetMeasurementSnapshot().Where(m => Mine(m.Tags, harness))
            .Select(m => ((string)m.Tags[AionWorkerDiagnostics.Tags.ActivityType]!, (string)m.Tags[AionWorkerDiagnostics.Tags.Outcome]!)).ToArray();
        Assert.That(failures, Is.EquivalentTo(new[] { ("math.fail", "terminal"), ("math.flaky", "retryable") }));
        var durations = duration.GetMeasurementSnapshot().Where(m => Mine(m.Tags, harness)).ToArray();
        Assert.That(durations.Select(m => m.Tags[AionWorkerDiagnostics.Tags.Outcome]), Is.EquivalentTo(new[] { "success", "terminal", "retryable" }));
        Assert.That(sessions.GetMeasurementSnapshot().Where(m => Mine(m.Tags, harness)).Sum(m => m.Value), Is.EqualTo(1));
    }

    [Test]
    public async Task Gauges_report_in_flight_slots_and_unacked_results_for_the_running_worker()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<Input, Output>("block", async (input, _) =>
        {
            await release.Task;
            return new Output(input.Value);
        }));
        harness.Engine.AckMode = Aion.Worker.Transport.InMemory.AckMode.Withhold;
        using var inFlight = new MetricCollector<int>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.ActivitiesInFlight);
        using var slots = new MetricCollector<int>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.SlotsAvailable);
        using var unacked = new MetricCollector<int>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.ResultsUnacked);
        await harness.StartAndRegisterAsync();
        var first = harness.Engine.Dispatch("block", new Input(1));
        await Poll.UntilAsync(() => harness.Worker.RunningActivities == 1);

        inFlight.RecordObservableInstruments();
        slots.RecordObservableInstruments();
        Assert.That(inFlight.GetMeasurementSnapshot().Last(m => Mine(m.Tags, harness)).Value, Is.EqualTo(1));
        Assert.That(slots.GetMeasurementSnapshot().Last(m => Mine(m.Tags, harness)).Value, Is.EqualTo(1));

        release.SetResult();
        await first.Result.Within();
        await Poll.UntilAsync(() => harness.Worker.RunningActivities == 0);
        unacked.RecordObservableInstruments();
        Assert.That(unacked.GetMeasurementSnapshot().Last(m => Mine(m.Tags, harness)).Value, Is.EqualTo(1));
        await harness.StopAsync();
    }

    [Test]
    public async Task Activity_span_carries_type_ids_attempt_and_outcome()
    {
        await using var harness = Harness();
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AionWorkerDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (Equals(activity.GetTagItem(AionWorkerDiagnostics.Tags.Identity), harness.Worker.Options.Identity))
                {
                    lock (spans)
                    {
                        spans.Add(activity);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await harness.StartAndRegisterAsync();

        await harness.Engine.Dispatch("math.fail", new Input(2), new Aion.Worker.Transport.InMemory.DispatchOptions { WorkflowId = "wf-span", Position = 9, Attempt = 2 }).Result.Within();
        await harness.StopAsync();

        Activity[] snapshot;
        lock (spans)
        {
            snapshot = [.. spans];
        }

        var activity = snapshot.Single(s => s.OperationName == AionWorkerDiagnostics.Spans.Activity);
        Assert.That(activity.GetTagItem(AionWorkerDiagnostics.Tags.ActivityType), Is.EqualTo("math.fail"));
        Assert.That(activity.GetTagItem(AionWorkerDiagnostics.Tags.WorkflowId), Is.EqualTo("wf-span"));
        Assert.That(activity.GetTagItem(AionWorkerDiagnostics.Tags.ActivityId), Is.EqualTo(9UL));
        Assert.That(activity.GetTagItem(AionWorkerDiagnostics.Tags.Attempt), Is.EqualTo(2U));
        Assert.That(activity.GetTagItem(AionWorkerDiagnostics.Tags.Outcome), Is.EqualTo("terminal"));
        Assert.That(activity.Status, Is.EqualTo(ActivityStatusCode.Error));
        var session = snapshot.Single(s => s.OperationName == AionWorkerDiagnostics.Spans.Session);
        Assert.That(session.GetTagItem(AionWorkerDiagnostics.Tags.EndKind), Is.EqualTo("shutdown"));
        Assert.That(session.GetTagItem(AionWorkerDiagnostics.Tags.WorkerId), Is.EqualTo(1UL));
    }

    [Test]
    public async Task Logs_written_inside_activity_code_carry_the_activity_scope()
    {
        await using var harness = Harness();
        await harness.StartAndRegisterAsync();

        await harness.Engine.Dispatch("math.ok", new Input(5), new Aion.Worker.Transport.InMemory.DispatchOptions { WorkflowId = "wf-log", Position = 4, Attempt = 1 }).Result.Within();
        await harness.StopAsync();

        var entry = harness.Logs.GetSnapshot().Single(e => e.Message == "computing 5");
        var scope = entry.Scopes.OfType<IReadOnlyList<KeyValuePair<string, object?>>>().Single();
        Assert.That(scope, Does.Contain(new KeyValuePair<string, object?>("WorkflowId", "wf-log")));
        Assert.That(scope, Does.Contain(new KeyValuePair<string, object?>("ActivityId", 4UL)));
        Assert.That(scope, Does.Contain(new KeyValuePair<string, object?>("Attempt", 1U)));
    }
}
