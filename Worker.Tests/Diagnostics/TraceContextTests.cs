using System.Diagnostics;
using Aion.Worker.Diagnostics;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;

namespace Aion.Worker.Tests.Diagnostics;

/// <summary>W3C trace context in task labels: the activity span continues the trace that scheduled it.</summary>
public sealed class TraceContextTests
{
    private sealed record Input(int Value);

    private const string TraceId = "0af7651916cd43dd8448eb211c80319c";
    private const string ParentSpanId = "b7ad6b7169203331";

    private static async Task<(Activity Span, string? TraceIdSeenInside)> RunOneAsync(Dictionary<string, string> labels)
    {
        string? seenInside = null;
        await using var harness = WorkerHarness.Create(builder => builder.AddActivity<Input, Input>("traced", (input, _) =>
        {
            seenInside = Activity.Current?.TraceId.ToHexString();
            return input;
        }));
        var identity = harness.Worker.Options.Identity;
        var spans = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == AionWorkerDiagnostics.SourceName,
            Sample = (ref ActivityCreationOptions<System.Diagnostics.ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == AionWorkerDiagnostics.Spans.Activity && Equals(activity.GetTagItem(AionWorkerDiagnostics.Tags.Identity), identity))
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

        await harness.Engine.Dispatch("traced", new Input(1), new DispatchOptions { Labels = labels }).Result.Within();
        await harness.StopAsync();
        lock (spans)
        {
            return (spans.Single(), seenInside);
        }
    }

    [Test]
    public async Task A_traceparent_label_makes_the_activity_span_a_child_of_the_remote_parent()
    {
        var (span, inside) = await RunOneAsync(new()
        {
            ["traceparent"] = $"00-{TraceId}-{ParentSpanId}-01",
            ["tracestate"] = "aion=1,vendor=x",
            ["tenant"] = "acme",
        });

        Assert.That(span.TraceId.ToHexString(), Is.EqualTo(TraceId));
        Assert.That(span.ParentSpanId.ToHexString(), Is.EqualTo(ParentSpanId));
        Assert.That(span.HasRemoteParent, Is.True);
        Assert.That(span.TraceStateString, Is.EqualTo("aion=1,vendor=x"));
        Assert.That(span.Kind, Is.EqualTo(ActivityKind.Consumer));
        Assert.That(span.DisplayName, Is.EqualTo("traced"));
        Assert.That(inside, Is.EqualTo(TraceId), "code inside the activity runs within the continued trace");
    }

    [TestCase("garbage")]
    [TestCase("00-00000000000000000000000000000000-b7ad6b7169203331-01")]
    [TestCase("")]
    public async Task An_invalid_traceparent_is_ignored_and_the_span_is_a_root(string traceParent)
    {
        var (span, _) = await RunOneAsync(new() { ["traceparent"] = traceParent });

        Assert.That(span.ParentSpanId, Is.EqualTo(default(ActivitySpanId)));
        Assert.That(span.HasRemoteParent, Is.False);
        Assert.That(span.TraceId.ToHexString(), Is.Not.EqualTo(TraceId));
    }

    [Test]
    public async Task Without_trace_labels_the_span_is_a_root()
    {
        var (span, inside) = await RunOneAsync(new() { ["tenant"] = "acme" });

        Assert.That(span.ParentSpanId, Is.EqualTo(default(ActivitySpanId)));
        Assert.That(inside, Is.EqualTo(span.TraceId.ToHexString()));
    }
}
