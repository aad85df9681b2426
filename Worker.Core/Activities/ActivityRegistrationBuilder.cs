using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Internal.Activities;

namespace Aion.Worker;

/// <summary>
/// The <c>AddActivity</c> overloads, defined once for every builder that registers activities
/// (<see cref="AionWorkerBuilder"/> and the hosting package's service builder): each turns its
/// arguments into an <see cref="ActivityDefinition"/> and passes it to <see cref="AddActivity(ActivityDefinition)"/>.
/// </summary>
/// <typeparam name="TBuilder">The derived builder, returned by every overload for chaining.</typeparam>
/// <remarks>
/// <para>
/// <b>Payloads.</b> Without JSON metadata, the input is decoded and the result encoded by the worker's
/// codec (<see cref="AionWorkerBuilder.UseCodec"/>; by default reflection-based System.Text.Json with
/// web defaults). The overloads taking <see cref="JsonTypeInfo{T}"/> read and write JSON with exactly
/// that metadata, whatever the codec: use them (or a codec made from a <c>JsonSerializerContext</c>)
/// in trimmed and native AOT apps. Take or return <see cref="Protocol.Payload"/> for the raw payload.
/// </para>
/// <para>
/// <b>JSON <c>null</c> input.</b> When the input is JSON <c>null</c> and the input type does not accept
/// null, the task is reported TERMINAL, naming the type, before the handler runs. A value type accepts
/// null only as <see cref="Nullable{T}"/> (and <c>JsonElement</c>); a reference type only when it is
/// <see cref="object"/>, <c>JsonNode</c> or <see cref="Protocol.Payload"/>, or when
/// <see cref="ActivityOptions.AcceptsNullInput"/> is set. This is decided at registration.
/// </para>
/// </remarks>
public abstract class ActivityRegistrationBuilder<TBuilder>
    where TBuilder : ActivityRegistrationBuilder<TBuilder>
{
    /// <summary>Creates the builder.</summary>
    protected ActivityRegistrationBuilder()
    {
    }

    /// <summary>Registers one activity; every other <c>AddActivity</c> overload ends here.</summary>
    /// <param name="definition">The registration.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">An activity of the same type is already registered.</exception>
    public abstract TBuilder AddActivity(ActivityDefinition definition);

    /// <summary>Registers an asynchronous activity handler; input and result go through the worker's codec.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec (<see cref="Protocol.Payload"/> for the raw payload).</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec (<see cref="Protocol.Payload"/> to return a raw payload).</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="handler">Runs one execution.</param>
    /// <param name="options">Per-activity options, e.g. <see cref="ActivityOptions.AcceptsNullInput"/>.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>A JSON <c>null</c> input is TERMINAL before the handler runs unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, Func<TInput, ActivityContext, Task<TOutput>> handler, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Add(activityType, new AsyncDelegateInvoker<TInput, TOutput>(handler, ActivityPayloads<TInput, TOutput>.Create(options)), options);
    }

    /// <summary>Registers a synchronous activity handler (it runs on the thread pool); input and result go through the worker's codec.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec.</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="handler">Runs one execution.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>A JSON <c>null</c> input is TERMINAL before the handler runs unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, Func<TInput, ActivityContext, TOutput> handler, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Add(activityType, new SyncDelegateInvoker<TInput, TOutput>(handler, ActivityPayloads<TInput, TOutput>.Create(options)), options);
    }

    /// <summary>Registers a class-based activity instance, shared by every execution; input and result go through the worker's codec.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec.</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="activity">The activity.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>A JSON <c>null</c> input is TERMINAL before the activity runs unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, IActivity<TInput, TOutput> activity, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return Add(activityType, new AsyncDelegateInvoker<TInput, TOutput>(activity.ExecuteAsync, ActivityPayloads<TInput, TOutput>.Create(options)), options);
    }

    /// <summary>Registers a class-based activity created per execution and disposed after it; input and result go through the worker's codec.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec.</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="factory">Creates one activity per execution; it is disposed (sync or async) once the execution ends.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>A JSON <c>null</c> input is TERMINAL before the activity is created unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, Func<IActivity<TInput, TOutput>> factory, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return Add(activityType, new FactoryInvoker<TInput, TOutput>(factory, ActivityPayloads<TInput, TOutput>.Create(options)), options);
    }

    /// <summary>Registers a class-based activity created per execution by a factory that sees the execution's context; input and result go through the worker's codec.</summary>
    /// <typeparam name="TInput">The input type, decoded by the codec.</typeparam>
    /// <typeparam name="TOutput">The result type, encoded by the codec.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="factory">Creates one activity per execution, e.g. from <see cref="ActivityContext.Services"/>; it is disposed (sync or async) once the execution ends.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>A JSON <c>null</c> input is TERMINAL before the activity is created unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, Func<ActivityContext, IActivity<TInput, TOutput>> factory, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return Add(activityType, new ContextFactoryInvoker<TInput, TOutput>(factory, ActivityPayloads<TInput, TOutput>.Create(options)), options);
    }

    /// <summary>Registers an asynchronous activity handler whose input and result are JSON with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="handler">Runs one execution.</param>
    /// <param name="inputType">The input's JSON metadata, e.g. <c>MyJsonContext.Default.ChargeRequest</c>.</param>
    /// <param name="outputType">The result's JSON metadata.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>The metadata is used instead of the worker's codec for this activity's input and result. A JSON <c>null</c> input is TERMINAL before the handler runs unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, Func<TInput, ActivityContext, Task<TOutput>> handler, JsonTypeInfo<TInput> inputType, JsonTypeInfo<TOutput> outputType, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Add(activityType, new AsyncDelegateInvoker<TInput, TOutput>(handler, Json(inputType, outputType, options)), options);
    }

    /// <summary>Registers a synchronous activity handler whose input and result are JSON with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="handler">Runs one execution.</param>
    /// <param name="inputType">The input's JSON metadata.</param>
    /// <param name="outputType">The result's JSON metadata.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>The metadata is used instead of the worker's codec for this activity's input and result. A JSON <c>null</c> input is TERMINAL before the handler runs unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, Func<TInput, ActivityContext, TOutput> handler, JsonTypeInfo<TInput> inputType, JsonTypeInfo<TOutput> outputType, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return Add(activityType, new SyncDelegateInvoker<TInput, TOutput>(handler, Json(inputType, outputType, options)), options);
    }

    /// <summary>Registers a class-based activity instance whose input and result are JSON with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="activity">The activity, shared by every execution.</param>
    /// <param name="inputType">The input's JSON metadata.</param>
    /// <param name="outputType">The result's JSON metadata.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>The metadata is used instead of the worker's codec for this activity's input and result. A JSON <c>null</c> input is TERMINAL before the activity runs unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, IActivity<TInput, TOutput> activity, JsonTypeInfo<TInput> inputType, JsonTypeInfo<TOutput> outputType, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(activity);
        return Add(activityType, new AsyncDelegateInvoker<TInput, TOutput>(activity.ExecuteAsync, Json(inputType, outputType, options)), options);
    }

    /// <summary>Registers a class-based activity created per execution, whose input and result are JSON with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="factory">Creates one activity per execution; it is disposed (sync or async) once the execution ends.</param>
    /// <param name="inputType">The input's JSON metadata.</param>
    /// <param name="outputType">The result's JSON metadata.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>The metadata is used instead of the worker's codec for this activity's input and result. A JSON <c>null</c> input is TERMINAL before the activity is created unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, Func<IActivity<TInput, TOutput>> factory, JsonTypeInfo<TInput> inputType, JsonTypeInfo<TOutput> outputType, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return Add(activityType, new FactoryInvoker<TInput, TOutput>(factory, Json(inputType, outputType, options)), options);
    }

    /// <summary>Registers a class-based activity created per execution by a factory that sees the execution's context, whose input and result are JSON with the given metadata (trimming- and native-AOT-safe).</summary>
    /// <typeparam name="TInput">The input type.</typeparam>
    /// <typeparam name="TOutput">The result type.</typeparam>
    /// <param name="activityType">The activity type the engine dispatches; unique per worker.</param>
    /// <param name="factory">Creates one activity per execution, e.g. from <see cref="ActivityContext.Services"/>; it is disposed (sync or async) once the execution ends.</param>
    /// <param name="inputType">The input's JSON metadata.</param>
    /// <param name="outputType">The result's JSON metadata.</param>
    /// <param name="options">Per-activity options.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The type is empty or already registered.</exception>
    /// <remarks>The metadata is used instead of the worker's codec for this activity's input and result. A JSON <c>null</c> input is TERMINAL before the activity is created unless the input type accepts null (see the class remarks).</remarks>
    public TBuilder AddActivity<TInput, TOutput>(string activityType, Func<ActivityContext, IActivity<TInput, TOutput>> factory, JsonTypeInfo<TInput> inputType, JsonTypeInfo<TOutput> outputType, ActivityOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(factory);
        return Add(activityType, new ContextFactoryInvoker<TInput, TOutput>(factory, Json(inputType, outputType, options)), options);
    }

    private TBuilder Add(string activityType, ActivityInvoker invoker, ActivityOptions? options)
    {
        if (options?.RunInline == true)
        {
            if (!invoker.IsSynchronous)
            {
                throw new ArgumentException(
                    $"ActivityOptions.RunInline is set for the activity '{activityType}', whose handler is asynchronous. Only a synchronous handler (an AddActivity overload taking Func<TInput, ActivityContext, TOutput>) that never blocks may run inline; remove RunInline, or register a synchronous handler.",
                    nameof(options));
            }

            invoker.RunsInline = true;
        }

        return AddActivity(new ActivityDefinition(activityType, invoker));
    }

    private static ActivityPayloads<TInput, TOutput> Json<TInput, TOutput>(JsonTypeInfo<TInput> inputType, JsonTypeInfo<TOutput> outputType, ActivityOptions? options)
    {
        ArgumentNullException.ThrowIfNull(inputType);
        ArgumentNullException.ThrowIfNull(outputType);
        return ActivityPayloads<TInput, TOutput>.Create(options, inputType, outputType);
    }
}
