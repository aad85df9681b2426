using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Aion.Worker.Extensions.Hosting.Internal;

/// <summary>Maps the hosted workers' <see cref="AionWorkerStatus"/> to a health result (one worker, or the worst of all).</summary>
internal sealed class AionWorkerHealthCheck(AionWorkerRegistry? registry, HostedWorkerDefinitions? definitions, string? name) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var failure = context.Registration.FailureStatus;
        var names = definitions?.All.Select(d => d.Name).ToList() ?? [];
        var data = new Dictionary<string, object>();
        if (name is not null)
        {
            if (!names.Contains(name))
            {
                return Task.FromResult(new HealthCheckResult(failure, $"No Aion worker named '{name}' was added to this host."));
            }

            var (status, description) = Check(name, failure, prefix: string.Empty, data);
            return Task.FromResult(new HealthCheckResult(status, description, data: data));
        }

        if (names.Count == 0)
        {
            return Task.FromResult(new HealthCheckResult(failure, "No Aion worker was added to this host."));
        }

        var worst = HealthStatus.Healthy;
        var descriptions = new List<string>(names.Count);
        foreach (var worker in names)
        {
            var (status, description) = Check(worker, failure, prefix: worker + ".", data);
            worst = status < worst ? status : worst;
            descriptions.Add($"'{worker}': {description}");
        }

        return Task.FromResult(new HealthCheckResult(worst, string.Join("; ", descriptions), data: data));
    }

    private (HealthStatus Status, string Description) Check(string worker, HealthStatus failure, string prefix, Dictionary<string, object> data)
    {
        if (registry?.Find(worker) is not { } found)
        {
            data[prefix + "state"] = nameof(AionWorkerState.NotStarted);
            return (HealthStatus.Degraded, "not started yet");
        }

        var status = found.Status;
        data[prefix + "state"] = status.State.ToString();
        data[prefix + "since"] = status.Since.ToString("O", CultureInfo.InvariantCulture);
        data[prefix + "consecutiveDrops"] = status.ConsecutiveDrops;
        data[prefix + "runningActivities"] = found.RunningActivities;
        data[prefix + "unackedResults"] = found.UnackedResults;
        if (status.Registration is { } registration)
        {
            data[prefix + "workerId"] = registration.WorkerId;
            data[prefix + "namespace"] = registration.Namespace;
        }

        if (status.LastError is { } error)
        {
            data[prefix + "lastError"] = error.Message;
        }

        var health = status.State switch
        {
            AionWorkerState.Registered => HealthStatus.Healthy,
            AionWorkerState.Stopped or AionWorkerState.Failed => failure,
            _ => HealthStatus.Degraded,
        };
        return (health, status.ToString());
    }
}
