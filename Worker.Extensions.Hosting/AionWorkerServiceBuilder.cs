using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Extensions.Hosting.Internal;
using Aion.Worker.Pipeline;
using Aion.Worker.Transport;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Aion.Worker.Extensions.Hosting;

/// <summary>Adds activities, interceptors and a transport to one hosted worker.</summary>
/// <remarks>The delegate and instance <c>AddActivity</c> overloads come from <see cref="ActivityRegistrationBuilder{TBuilder}"/>, shared with <see cref="AionWorkerBuilder"/>.</remarks>
public sealed class AionWorkerServiceBuilder : ActivityRegistrationBuilder<AionWorkerServiceBuilder>
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

    /// <summary>Registers one activity for this worker; every other <c>AddActivity</c> overload ends here.</summary>
    /// <param name="definition">The registration.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">An activity of the same type is already registered for this worker.</exception>
    /// <remarks>
    /// Delegate activities take their services from <see cref="ActivityContext.Services"/> (a fresh
    /// scope per execution). The activities are added to the worker when the host starts it.
    /// </remarks>
    public override AionWorkerServiceBuilder AddActivity(ActivityDefinition definition)
    {
        ArgumentNullException.ThrowIfNull(definition);
        Definition.AddActivity(definition);
        return this;
    }

    /// <summary>Registers a class-based activity resolved per execution from a fresh DI scope, disposed with the scope once the outcome is recorded; input and result go through the worker's codec.</summary>
    /// <typeparam name="TActivity">The activity class (registered as scoped unless already registered).</typeparam>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type.</param>
    /// <param name="options">Per-activity options, e.g. <see cref="ActivityOptions.AcceptsNullInput"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered for this worker.</exception>
    /// <remarks>A JSON <c>null</c> input is TERMINAL before the activity is resolved unless the input type accepts null (see <see cref="ActivityRegistrationBuilder{TBuilder}"/>).</remarks>
    public AionWorkerServiceBuilder AddActivity<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TActivity, TInput, TOutput>(string activityType, ActivityOptions? options = null)
        where TActivity : class, IActivity<TInput, TOutput>
    {
        Services.TryAddScoped<TActivity>();
        return AddActivity(activityType, Resolve<TActivity, TInput, TOutput>, options);
    }

    /// <summary>Registers a class-based activity resolved per execution from a fresh DI scope, whose input and result are JSON with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="TActivity">The activity class (registered as scoped unless already registered).</typeparam>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type.</param>
    /// <param name="inputType">The input's JSON metadata, e.g. <c>MyJsonContext.Default.ChargeRequest</c>.</param>
    /// <param name="outputType">The result's JSON metadata.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered for this worker.</exception>
    /// <remarks>A JSON <c>null</c> input is TERMINAL before the activity is resolved unless the input type accepts null (see <see cref="ActivityRegistrationBuilder{TBuilder}"/>).</remarks>
    public AionWorkerServiceBuilder AddActivity<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TActivity, TInput, TOutput>(string activityType, JsonTypeInfo<TInput> inputType, JsonTypeInfo<TOutput> outputType, ActivityOptions? options = null)
        where TActivity : class, IActivity<TInput, TOutput>
    {
        Services.TryAddScoped<TActivity>();
        return AddActivity(activityType, Resolve<TActivity, TInput, TOutput>, inputType, outputType, options);
    }

    /// <summary>Adds an interceptor resolved per execution from the execution's scope; the first added runs outermost.</summary>
    /// <typeparam name="TInterceptor">The interceptor class (registered as scoped unless already registered).</typeparam>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder AddInterceptor<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TInterceptor>()
        where TInterceptor : class, IActivityInterceptor
    {
        Services.TryAddScoped<TInterceptor>();
        Definition.ScopedInterceptors.Add(typeof(TInterceptor));
        return this;
    }

    /// <summary>Adds an inbound stage created once per run from the host's services (constructor injection; not registered as a service).</summary>
    /// <typeparam name="TStage">The stage class.</typeparam>
    /// <returns>This builder.</returns>
    /// <remarks>Stages run in the order added, after those added through <see cref="ConfigureWorker"/> before it. See <see cref="WorkerPipelineBuilder"/>.</remarks>
    public AionWorkerServiceBuilder AddInboundStage<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TStage>()
        where TStage : class, IInboundStage
    {
        Definition.Configure((builder, services) => builder.ConfigurePipeline(pipeline => pipeline.AddInboundStage(_ => ActivatorUtilities.CreateInstance<TStage>(services))));
        return this;
    }

    /// <summary>Adds an admission filter created once per run from the host's services.</summary>
    /// <typeparam name="TFilter">The filter class.</typeparam>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder AddAdmissionFilter<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TFilter>()
        where TFilter : class, IAdmissionFilter
    {
        Definition.Configure((builder, services) => builder.ConfigurePipeline(pipeline => pipeline.AddAdmissionFilter(_ => ActivatorUtilities.CreateInstance<TFilter>(services))));
        return this;
    }

    /// <summary>Adds an outbound stage created once per run from the host's services.</summary>
    /// <typeparam name="TStage">The stage class.</typeparam>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder AddOutboundStage<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TStage>()
        where TStage : class, IOutboundStage
    {
        Definition.Configure((builder, services) => builder.ConfigurePipeline(pipeline => pipeline.AddOutboundStage(_ => ActivatorUtilities.CreateInstance<TStage>(services))));
        return this;
    }

    /// <summary>Adds session middleware created for each session from the host's services; its constructor takes the inner <see cref="IWorkerSession"/> besides its services.</summary>
    /// <typeparam name="TSession">The middleware, usually derived from <see cref="DelegatingWorkerSession"/>.</typeparam>
    /// <returns>This builder.</returns>
    public AionWorkerServiceBuilder AddSessionMiddleware<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSession>()
        where TSession : class, IWorkerSession
    {
        Definition.Configure((builder, services) => builder.ConfigurePipeline(pipeline => pipeline.AddSessionMiddleware((_, session) => ActivatorUtilities.CreateInstance<TSession>(services, session))));
        return this;
    }

    /// <summary>Adds the built-in rate limit bound from <paramref name="configuration"/> (<see cref="TaskRateLimitOptions"/>: <c>PermitLimit</c>, <c>Period</c>, <c>PerActivityType</c>, <c>ActivityTypes</c>), read when the worker starts.</summary>
    /// <param name="configuration">The section, e.g. <c>Aion:Workers:billing:RateLimit</c>.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Invalid values fail the host's start with every problem listed.</remarks>
    public AionWorkerServiceBuilder AddRateLimit(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Definition.Configure((builder, _) =>
        {
            var options = new TaskRateLimitOptions();
            configuration.Bind(options);
            builder.ConfigurePipeline(pipeline => pipeline.AddRateLimit(options));
        });
        return this;
    }

    /// <summary>Adds the built-in per-activity-type concurrency limits bound from <paramref name="configuration"/> (<see cref="ActivityConcurrencyLimitOptions"/>: <c>Limits:{type}</c>, <c>DefaultLimit</c>), read when the worker starts.</summary>
    /// <param name="configuration">The section, e.g. <c>Aion:Workers:billing:ConcurrencyLimits</c>.</param>
    /// <returns>This builder.</returns>
    /// <remarks>Invalid values fail the host's start with every problem listed.</remarks>
    public AionWorkerServiceBuilder AddConcurrencyLimits(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Definition.Configure((builder, _) =>
        {
            var options = new ActivityConcurrencyLimitOptions();
            configuration.Bind(options);
            builder.ConfigurePipeline(pipeline => pipeline.AddConcurrencyLimits(options));
        });
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

    // The activity a DI scope resolves for one execution; the container disposes it with the scope.
    private static ScopedActivity<TInput, TOutput> Resolve<TActivity, TInput, TOutput>(ActivityContext context)
        where TActivity : class, IActivity<TInput, TOutput> =>
        new ScopedActivity<TInput, TOutput>(ScopeInterceptor.Services(context).GetRequiredService<TActivity>());

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
