#region opentelemetry
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

#endregion
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Snippets.Readme;

public static class OpenTelemetrySetup
{
    public static void Configure(HostApplicationBuilder builder)
    {
        #region opentelemetry
        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddAionWorkerInstrumentation().AddConsoleExporter())
            .WithMetrics(metrics => metrics.AddAionWorkerInstrumentation().AddConsoleExporter());
        #endregion
    }
}
