using System.Diagnostics.Metrics;
using Aion.Worker.Diagnostics;
using Aion.Worker.Internal.Telemetry;
using Aion.Worker.Tests.Support;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace Aion.Worker.Tests.Diagnostics;

/// <summary>UseMeterFactory: a worker's instruments come from its factory's meter, with the static meter as the fallback.</summary>
public sealed class MeterFactoryTests
{
    private sealed record Input(int Value);

    private static (AionWorker Worker, InMemoryEngine Engine) Build(IMeterFactory? meters)
    {
        var engine = new InMemoryEngine();
        var builder = AionWorker.CreateBuilder(WorkerHarness.DefaultOptions())
            .AddActivity<Input, Input>("echo", (input, _) => input)
            .UseInMemory(engine);
        if (meters is not null)
        {
            builder.UseMeterFactory(meters);
        }

        return (builder.Build(), engine);
    }

    private static async Task RunTasksAsync(AionWorker worker, InMemoryEngine engine, int tasks)
    {
        using var runner = new WorkerRunner();
        _ = runner.Start(worker);
        await engine.WaitForSessionAsync(1).Within();
        for (var i = 0; i < tasks; i++)
        {
            await engine.Dispatch("echo", new Input(i)).Result.Within();
        }

        await runner.StopAsync();
    }

    [Test]
    public async Task Workers_of_different_factories_do_not_see_each_others_measurements()
    {
        using var hostA = new ServiceCollection().AddMetrics().BuildServiceProvider();
        using var hostB = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metersA = hostA.GetRequiredService<IMeterFactory>();
        var metersB = hostB.GetRequiredService<IMeterFactory>();
        using var receivedA = new MetricCollector<long>(metersA, AionWorkerDiagnostics.MeterName, AionWorkerDiagnostics.Instruments.TasksReceived);
        using var receivedB = new MetricCollector<long>(metersB, AionWorkerDiagnostics.MeterName, AionWorkerDiagnostics.Instruments.TasksReceived);
        using var sessionsA = new MetricCollector<long>(metersA, AionWorkerDiagnostics.MeterName, AionWorkerDiagnostics.Instruments.SessionsOpened);
        var (workerA, engineA) = Build(metersA);
        var (workerB, engineB) = Build(metersB);
        using var onShared = new MetricCollector<long>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.TasksReceived);

        await RunTasksAsync(workerA, engineA, 3);
        await RunTasksAsync(workerB, engineB, 2);

        // No identity filter: the factory's meter is the isolation.
        Assert.That(receivedA.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(3));
        Assert.That(receivedB.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(2));
        Assert.That(sessionsA.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(1));
        var mine = new[] { workerA.Options.Identity, workerB.Options.Identity };
        Assert.That(onShared.GetMeasurementSnapshot().Where(m => mine.Contains(m.Tags[AionWorkerDiagnostics.Tags.Identity])), Is.Empty, "nothing on the process-wide meter");
    }

    [Test]
    public async Task Two_workers_of_one_factory_share_its_instruments_and_gauges_report_each()
    {
        using var host = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = host.GetRequiredService<IMeterFactory>();
        using var slots = new MetricCollector<int>(meters, AionWorkerDiagnostics.MeterName, AionWorkerDiagnostics.Instruments.SlotsAvailable);
        var (first, firstEngine) = Build(meters);
        var (second, secondEngine) = Build(meters);
        using var firstRun = new WorkerRunner();
        using var secondRun = new WorkerRunner();
        _ = firstRun.Start(first);
        _ = secondRun.Start(second);
        await firstEngine.WaitForSessionAsync(1).Within();
        await secondEngine.WaitForSessionAsync(1).Within();

        slots.RecordObservableInstruments();
        await firstRun.StopAsync();
        await secondRun.StopAsync();

        var identities = slots.GetMeasurementSnapshot().Select(m => m.Tags[AionWorkerDiagnostics.Tags.Identity]).ToArray();
        Assert.That(identities, Is.EquivalentTo(new[] { first.Options.Identity, second.Options.Identity }));
    }

    [Test]
    public async Task Without_a_factory_the_worker_records_on_the_process_wide_meter()
    {
        var (worker, engine) = Build(meters: null);
        using var received = new MetricCollector<long>(WorkerTelemetry.Shared.Meter, AionWorkerDiagnostics.Instruments.TasksReceived);

        await RunTasksAsync(worker, engine, 2);

        Assert.That(received.GetMeasurementSnapshot().Where(m => Equals(m.Tags[AionWorkerDiagnostics.Tags.Identity], worker.Options.Identity)).Sum(m => m.Value), Is.EqualTo(2));
        Assert.That(WorkerTelemetry.Shared.Meter.Name, Is.EqualTo("Aion.Worker"));
    }
}
