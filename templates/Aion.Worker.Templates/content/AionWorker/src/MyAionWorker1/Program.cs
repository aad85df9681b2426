using Aion.Worker;
using MyAionWorker1;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSingleton(TimeProvider.System);

// The worker: options from the "Aion:Worker" section (validated at start), activities from DI,
// the host's stopping token as graceful shutdown.
builder.Services
    .AddAionWorker("MyAionWorker1", builder.Configuration.GetSection("Aion:Worker"))
    .AddActivity<GreetActivity, GreetRequest, Greeting>(GreetActivity.Type)
    .ConfigureWorker((worker, _) => worker.UseGrpc(new Uri(builder.Configuration["Aion:EngineAddress"] ?? "http://engine-address:50051")));

// Health checks for the worker (Healthy once registered with the engine).
builder.Services.AddHealthChecks().AddAionWorker();

// The worker's spans and metrics; exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
var telemetry = builder.Services.AddOpenTelemetry()
    .WithTracing(tracing => tracing.AddAionWorkerInstrumentation())
    .WithMetrics(metrics => metrics.AddAionWorkerInstrumentation());
if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
{
    telemetry.UseOtlpExporter();
}

await builder.Build().RunAsync();
