using System.Diagnostics;
using System.Diagnostics.Metrics;
using Aion.Worker.Diagnostics;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Aion.Worker.Tests.Diagnostics;

/// <summary>Aion.Worker.Extensions.OpenTelemetry: AddAionWorkerInstrumentation() on both provider builders.</summary>
public sealed class OpenTelemetryExtensionTests
{
    private sealed record Input(int Value);

    [Test]
    public async Task One_line_each_collects_the_workers_spans_and_metrics_with_second_buckets()
    {
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using var tracing = Sdk.CreateTracerProviderBuilder().AddAionWorkerInstrumentation().AddInMemoryExporter(spans).Build()!;
        using var metering = Sdk.CreateMeterProviderBuilder().AddAionWorkerInstrumentation().AddInMemoryExporter(metrics).Build()!;
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var engine = new InMemoryEngine();
        var worker = AionWorker.CreateBuilder(WorkerHarness.DefaultOptions())
            .AddActivity<Input, Input>("otel.echo", (input, _) => input)
            .UseInMemory(engine)
            .UseMeterFactory(services.GetRequiredService<IMeterFactory>())
            .Build();
        var identity = worker.Options.Identity;
        using (var runner = new WorkerRunner())
        {
            _ = runner.Start(worker);
            await engine.WaitForSessionAsync(1).Within();
            await engine.Dispatch("otel.echo", new Input(1), new DispatchOptions
            {
                Labels = new Dictionary<string, string> { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
            }).Result.Within();
            await runner.StopAsync();
        }

        tracing.ForceFlush();
        metering.ForceFlush();

        Activity span;
        lock (spans)
        {
            span = spans.Single(s => s.OperationName == AionWorkerDiagnostics.Spans.Activity && Equals(s.GetTagItem(AionWorkerDiagnostics.Tags.Identity), identity));
        }

        Assert.That(span.TraceId.ToHexString(), Is.EqualTo("0af7651916cd43dd8448eb211c80319c"));
        Assert.That(span.GetTagItem(AionWorkerDiagnostics.Tags.Outcome), Is.EqualTo("success"));

        var received = metrics.Where(m => m.Name == AionWorkerDiagnostics.Instruments.TasksReceived).SelectMany(Points).Where(p => Tag(p, AionWorkerDiagnostics.Tags.Identity) == identity).ToArray();
        Assert.That(received.Sum(p => p.GetSumLong()), Is.EqualTo(1), "the factory's meter is collected by name");

        var duration = metrics.Where(m => m.Name == AionWorkerDiagnostics.Instruments.ActivityDuration).SelectMany(Points).First(p => Tag(p, AionWorkerDiagnostics.Tags.Identity) == identity);
        var bounds = new List<double>();
        foreach (var bucket in duration.GetHistogramBuckets())
        {
            bounds.Add(bucket.ExplicitBound);
        }

        Assert.That(bounds[0], Is.EqualTo(0.001), "seconds, not the SDK's millisecond defaults");
        Assert.That(bounds, Does.Contain(300d));
        Assert.That(duration.GetHistogramCount(), Is.EqualTo(1));
    }

    private static IEnumerable<MetricPoint> Points(Metric metric)
    {
        var points = new List<MetricPoint>();
        foreach (ref readonly var point in metric.GetMetricPoints())
        {
            points.Add(point);
        }

        return points;
    }

    private static string? Tag(MetricPoint point, string name)
    {
        foreach (var tag in point.Tags)
        {
            if (tag.Key == name)
            {
                return tag.Value as string;
            }
        }

        return null;
    }
}
