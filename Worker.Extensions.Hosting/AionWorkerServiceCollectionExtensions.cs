using Aion.Worker;
using Aion.Worker.Extensions.Hosting;
using Aion.Worker.Extensions.Hosting.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds Aion workers to a host.</summary>
public static class AionWorkerServiceCollectionExtensions
{
    /// <summary>The name of the worker added without one.</summary>
    public const string DefaultName = "default";

    /// <summary>Adds a worker named <c>default</c> that runs as a hosted service.</summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Sets the options (after any configuration binding).</param>
    /// <returns>A builder to add activities and a transport.</returns>
    public static AionWorkerServiceBuilder AddAionWorker(this IServiceCollection services, Action<AionWorkerOptions>? configure = null) =>
        services.AddAionWorker(DefaultName, configure);

    /// <summary>Adds a named worker bound to a configuration section (e.g. <c>configuration.GetSection("Aion:Worker")</c>).</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The worker's name; one hosted service per name.</param>
    /// <param name="configuration">The section holding <see cref="AionWorkerOptions"/> (with a <c>Reconnect</c> subsection).</param>
    /// <param name="configure">Further changes after binding.</param>
    /// <returns>A builder to add activities and a transport.</returns>
    public static AionWorkerServiceBuilder AddAionWorker(this IServiceCollection services, string name, IConfiguration configuration, Action<AionWorkerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = services.AddAionWorker(name, configure: null);
        services.AddOptions<AionWorkerOptions>(name).Bind(configuration);
        if (configure is not null)
        {
            services.AddOptions<AionWorkerOptions>(name).Configure(configure);
        }

        return builder;
    }

    /// <summary>Adds a named worker that runs as a hosted service; several workers (e.g. for different task queues) may share a host.</summary>
    /// <param name="services">The services.</param>
    /// <param name="name">The worker's name; one hosted service per name.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>A builder to add activities and a transport.</returns>
    /// <exception cref="InvalidOperationException">A worker with this name was already added.</exception>
    public static AionWorkerServiceBuilder AddAionWorker(this IServiceCollection services, string name, Action<AionWorkerOptions>? configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var definitions = GetDefinitions(services);
        if (definitions.Any(d => d.Name == name))
        {
            throw new InvalidOperationException($"An Aion worker named '{name}' was already added.");
        }

        var definition = new HostedWorkerDefinition(name);
        definitions.Add(definition);
        var options = services.AddOptions<AionWorkerOptions>(name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AionWorkerOptions>, AionWorkerOptionsValidator>());

        // One startup validation for every worker: one OptionsValidationException with every problem.
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AionWorkersStartupValidation>, AionWorkersStartupValidator>());
        services.AddOptions<AionWorkersStartupValidation>().ValidateOnStart();
        services.TryAddSingleton<AionWorkerRegistry>();
        services.AddSingleton<IHostedService>(provider => new AionWorkerHostedService(definition, provider));
        return new AionWorkerServiceBuilder(services, name, definition);
    }

    private static List<HostedWorkerDefinition> GetDefinitions(IServiceCollection services)
    {
        var existing = services.FirstOrDefault(d => d.ServiceType == typeof(HostedWorkerDefinitions))?.ImplementationInstance as HostedWorkerDefinitions;
        if (existing is null)
        {
            existing = new HostedWorkerDefinitions();
            services.AddSingleton(existing);
        }

        return existing.All;
    }
}
