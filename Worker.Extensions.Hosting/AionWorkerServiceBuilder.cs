using Aion.Worker.Extensions.Hosting.Internal;
using Aion.Worker.Transport;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Aion.Worker.Extensions.Hosting;

/// <summary>Adds activities, interceptors and a transport to one hosted worker.</summary>
public sealed class AionWorkerServiceBuilder
{
    internal AionWorkerServiceBuilder(IServiceCollection services, string name, HostedWorkerDefinition definition)
    {
        Services = services;
        Name = name;
        Definition = definition;
    }

    /// <summary>The service collection.</summary>
    public IServiceCollection Services { get; }

    /// <summary>The worker's name (its named options and hosted service).</summary>
    public string Name { get; }

    internal HostedWorkerDefinition Definition { get; }

    /// <summary>Registers an asynchronous delegate activity; take services from <see cref="ActivityContext.Services"/> (a fresh scope per execution).</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type.</param>
    /// <param name="handler">Runs one execution.</param>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder AddActivity<TInput, TOutput>(string activityType, Func<TInput, ActivityContext, Task<TOutput>> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Definition.Configure((builder, _) => builder.AddActivity(activityType, handler));
        return this;
    }

    /// <summary>Registers a synchronous delegate activity.</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type.</param>
    /// <param name="handler">Runs one execution.</param>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder AddActivity<TInput, TOutput>(string activityType, Func<TInput, ActivityContext, TOutput> handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        Definition.Configure((builder, _) => builder.AddActivity(activityType, handler));
        return this;
    }

    /// <summary>Registers a class-based activity resolved per execution from a fresh DI scope, disposed with the scope once the outcome is recorded.</summary>
    /// <typeparam name="TActivity">The activity class (registered as scoped unless already registered).</typeparam>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type.</param>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder AddActivity<TActivity, TInput, TOutput>(string activityType)
        where TActivity : class, IActivity<TInput, TOutput>
    {
        Services.TryAddScoped<TActivity>();
        Definition.Configure((builder, _) => builder.AddActivity<TInput, TOutput>(
            activityType,
            context => new ScopedActivity<TInput, TOutput>(ScopeInterceptor.Services(context).GetRequiredService<TActivity>())));
        return this;
    }

    /// <summary>Adds an interceptor resolved per execution from the execution's scope; the first added runs outermost.</summary>
    /// <typeparam name="TInterceptor">The interceptor class (registered as scoped unless already registered).</typeparam>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder AddInterceptor<TInterceptor>()
        where TInterceptor : class, IActivityInterceptor
    {
        Services.TryAddScoped<TInterceptor>();
        Definition.ScopedInterceptors.Add(typeof(TInterceptor));
        return this;
    }

    /// <summary>Uses the transport <paramref name="factory"/> creates (e.g. gRPC to the configured endpoint, or an in-memory engine).</summary>
    /// <param name="factory">Creates the transport from the host's services.</param>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder UseTransport(Func<IServiceProvider, IWorkerTransport> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Definition.Configure((builder, services) => builder.UseTransport(factory(services)));
        return this;
    }

    /// <summary>Configures the underlying <see cref="AionWorkerBuilder"/> (codec, transport extensions such as <c>UseGrpc</c>, interceptors).</summary>
    /// <param name="configure">Called when the worker is built, with the host's services.</param>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder ConfigureWorker(Action<AionWorkerBuilder, IServiceProvider> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        Definition.Configure(configure);
        return this;
    }

    /// <summary>Configures how this worker starts and stops in the host.</summary>
    /// <param name="configure">Changes the hosting options.</param>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder ConfigureHosting(Action<AionWorkerHostingOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        configure(Definition.Hosting);
        return this;
    }
}
