using Aion.Worker;
using Aion.Worker.Samples.Hosting;
using Aion.Worker.Transport.InMemory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

// A hosted Aion worker: activities from DI, options from appsettings.json, traces and metrics to
// the console through OpenTelemetry. With no "Aion:Endpoint" it serves an embedded in-memory
// engine and pushes a few sample tasks; see docs/hosting.md.
var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = args, ContentRootPath = AppContext.BaseDirectory });
builder.Services.AddScoped<PaymentGateway>();

var worker = builder.Services
    .AddAionWorker("billing", builder.Configuration.GetSection("Aion:Worker"))
    .AddActivity<ChargeActivity, ChargeRequest, Receipt>("billing.charge")
    .AddInterceptor<AuditInterceptor>();

var endpoint = builder.Configuration["Aion:Endpoint"];
InMemoryEngine? engine = null;
if (string.IsNullOrWhiteSpace(endpoint))
{
    engine = new InMemoryEngine();
    worker.UseTransport(_ => engine.CreateTransport());
    builder.Services.AddHostedService(services => new SampleTaskPusher(
        engine,
        builder.Configuration.GetValue("Aion:Sample:Tasks", 5),
        builder.Configuration.GetValue("Aion:Sample:ExitWhenDone", true),
        services.GetRequiredService<IHostApplicationLifetime>()));
}
else
{
    SampleTransports.UseEndpoint(worker, new Uri(endpoint));
}

// One line each for the worker's spans and metrics. The console exporter prints every instrument
// at each export: once a minute (and at shutdown) keeps the log readable.
builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddAionWorkerInstrumentation().AddConsoleExporter())
    .WithMetrics(metrics => metrics.AddAionWorkerInstrumentation().AddConsoleExporter((_, reader) =>
        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)builder.Configuration.GetValue("Aion:Sample:MetricsExportInterval", TimeSpan.FromMinutes(1)).TotalMilliseconds));

await builder.Build().RunAsync();

/// <summary>Plays the engine's side in the embedded mode: pushes tasks, then stops the host.</summary>
internal sealed class SampleTaskPusher(InMemoryEngine engine, int tasks, bool exitWhenDone, IHostApplicationLifetime lifetime) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // After the host's "Application started. Press Ctrl+C to shut down." line.
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        await engine.WaitForSessionAsync(1, stoppingToken);
        var dispatched = Enumerable.Range(1, tasks)
            .Select(i => engine.Dispatch("billing.charge", new ChargeRequest($"acct-{i}", i % 5 == 0 ? 0 : i * 100)))
            .ToArray();
        await Task.WhenAll(dispatched.Select(d => d.Result)).WaitAsync(stoppingToken);
        if (exitWhenDone)
        {
            lifetime.StopApplication();
        }
    }
}
