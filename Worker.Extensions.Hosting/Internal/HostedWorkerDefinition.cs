using System.Diagnostics.CodeAnalysis;

namespace Aion.Worker.Extensions.Hosting.Internal;

/// <summary>What the service builder collected for one named worker.</summary>
internal sealed class HostedWorkerDefinition(string name)
{
    private readonly List<Action<AionWorkerBuilder, IServiceProvider>> _configure = [];
    private readonly Dictionary<string, ActivityDefinition> _activities = new(StringComparer.Ordinal);
    private readonly List<ActivityDefinition> _ordered = [];

    public string Name { get; } = name;

    public List<Type> ScopedInterceptors { get; } = [];

    public AionWorkerHostingOptions Hosting { get; } = new();

    public void Configure(Action<AionWorkerBuilder, IServiceProvider> configure) => _configure.Add(configure);

    /// <summary>Records an activity; a duplicate type is rejected now, not when the host starts.</summary>
    [SuppressMessage("Usage", "CA2208:Instantiate argument exceptions correctly", Justification = "Names the activityType parameter of the public AddActivity overloads, as Aion.Worker's own builder does; the type arrives here inside the definition.")]
    public void AddActivity(ActivityDefinition definition)
    {
        if (!_activities.TryAdd(definition.ActivityType, definition))
        {
            throw new ArgumentException($"An activity of type '{definition.ActivityType}' is already registered for the Aion worker '{Name}'.", "activityType");
        }

        _ordered.Add(definition);
    }

    public void Apply(AionWorkerBuilder builder, IServiceProvider services)
    {
        foreach (var activity in _ordered)
        {
            builder.AddActivity(activity);
        }

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
