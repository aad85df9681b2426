#region health-endpoints
using Aion.Worker.Extensions.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

#endregion
namespace Snippets.Docs;

public static class HealthEndpoints
{
    public static async Task RunAsync(string[] args)
    {
        #region health-endpoints
        var builder = WebApplication.CreateBuilder(args);
        builder.Services.AddAionWorker("billing", builder.Configuration.GetSection("Aion:Worker"))
            .AddActivity<ChargeActivity, ChargeRequest, Receipt>("billing.charge");
        builder.Services.AddHealthChecks().AddAionWorker("billing");
        var app = builder.Build();

        // Liveness: Degraded (connecting, reconnecting, stopping) still answers 200.
        app.MapHealthChecks("/health/live", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(AionWorkerHealthChecks.LiveTag),
        });

        // Readiness: only a registered worker answers 200.
        app.MapHealthChecks("/health/ready", new HealthCheckOptions
        {
            Predicate = check => check.Tags.Contains(AionWorkerHealthChecks.ReadyTag),
            ResultStatusCodes =
            {
                [HealthStatus.Healthy] = StatusCodes.Status200OK,
                [HealthStatus.Degraded] = StatusCodes.Status503ServiceUnavailable,
                [HealthStatus.Unhealthy] = StatusCodes.Status503ServiceUnavailable,
            },
        });
        await app.RunAsync();
        #endregion
    }
}
