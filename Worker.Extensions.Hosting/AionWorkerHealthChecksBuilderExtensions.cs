using Aion.Worker.Extensions.Hosting;
using Aion.Worker.Extensions.Hosting.Internal;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the hosted Aion workers to the host's health checks.</summary>
public static class AionWorkerHealthChecksBuilderExtensions
{
    /// <summary>Adds a health check reporting the state of the hosted Aion workers.</summary>
    /// <param name="builder">The health checks builder (<c>services.AddHealthChecks()</c>).</param>
    /// <param name="name">
    /// The hosted worker to check (the name given to <c>AddAionWorker</c>); <see langword="null"/>
    /// checks every hosted worker and reports the worst state. The check is named
    /// <c>aion-worker</c>, or <c>aion-worker:{name}</c> for one worker.
    /// </param>
    /// <param name="failureStatus">Reported when a worker stopped or failed (or no such worker was added); default <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">The check's tags; default <see cref="AionWorkerHealthChecks.DefaultTags"/> (<c>aion-worker</c>, <c>ready</c>, <c>live</c>).</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// Degraded until the first RegisterAck, Healthy while a session is registered, Degraded while
    /// reconnecting (the data carries the drop count and the last error) or stopping, and
    /// <paramref name="failureStatus"/> once the run stopped or failed. See
    /// <see cref="AionWorkerHealthChecks"/> for the readiness and liveness mapping.
    /// </remarks>
    public static IHealthChecksBuilder AddAionWorker(this IHealthChecksBuilder builder, string? name = null, HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (name is not null)
        {
            ArgumentException.ThrowIfNullOrEmpty(name);
        }

        return builder.Add(new HealthCheckRegistration(
            name is null ? AionWorkerHealthChecks.Name : $"{AionWorkerHealthChecks.Name}:{name}",
            services => new AionWorkerHealthCheck(services.GetService<AionWorkerRegistry>(), services.GetService<HostedWorkerDefinitions>(), name),
            failureStatus,
            tags ?? AionWorkerHealthChecks.DefaultTags));
    }
}
