namespace Aion.Worker.Extensions.Hosting.Internal;

/// <summary>What the service builder collected for one named worker.</summary>
internal sealed class HostedWorkerDefinition(string name)
{
    private readonly List<Action<AionWorkerBuilder, IServiceProvider>> _configure = [];

    public string Name { get; } = name;

    public List<Type> ScopedInterceptors { get; } = [];

    public AionWorkerHostingOptions Hosting { get; } = new();

    public void Configure(Action<AionWorkerBuilder, IServiceProvider> configure) => _configure.Add(configure);

    public void Apply(AionWorkerBuilder builder, IServiceProvider services)
    {
        foreach (var configure in _configure)
        {
            configure(builder, services);
        }
    }
}

/// <summary>Every worker definition of a service collection.</summary>
internal sealed class HostedWorkerDefinitions
{
    public List<HostedWorkerDefinition> All { get; } = [];
}
