using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Activities;

/// <summary>Runs one registered activity type: decodes the input, calls the handler, encodes the output.</summary>
internal abstract class ActivityInvoker
{
    /// <summary>The handler's input type.</summary>
    public abstract Type InputType { get; }

    /// <summary>The handler's result type.</summary>
    public abstract Type OutputType { get; }

    /// <summary>Whether a JSON <c>null</c> input reaches the handler (otherwise it is TERMINAL before the handler runs).</summary>
    public abstract bool AcceptsNullInput { get; }

    /// <summary>Whether the input is decoded by the worker's codec (not raw, not by registered JSON metadata).</summary>
    public abstract bool InputUsesCodec { get; }

    /// <summary>Whether the result is encoded by the worker's codec.</summary>
    public abstract bool OutputUsesCodec { get; }

    /// <summary>Whether the handler is synchronous (it may be registered to run inline).</summary>
    public virtual bool IsSynchronous => false;

    /// <summary>Whether executions run on the thread that starts them (<see cref="ActivityOptions.RunInline"/>); set once, at registration.</summary>
    public bool RunsInline { get; set; }

    public abstract ValueTask<Payload> InvokeAsync(Payload input, ActivityContext context, IPayloadCodec codec);
}

/// <summary>The input did not decode into the handler's parameter type (a TERMINAL outcome).</summary>
internal sealed class ActivityInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The handler's return value did not encode (a TERMINAL outcome).</summary>
internal sealed class ActivityOutputException(string message, Exception inner) : Exception(message, inner);

/// <summary>How a registration reads its input and writes its result: JSON metadata (or the worker's codec), and whether null input is accepted.</summary>
internal sealed record ActivityPayloads<TInput, TOutput>(JsonTypeInfo<TInput>? Input, JsonTypeInfo<TOutput>? Output, bool AcceptsNullInput)
{
    public static ActivityPayloads<TInput, TOutput> Create(ActivityOptions? options, JsonTypeInfo<TInput>? input = null, JsonTypeInfo<TOutput>? output = null) =>
        new(input, output, NullInput.AcceptedBy<TInput>() || options?.AcceptsNullInput == true);
}

/// <summary>The rule for JSON <c>null</c> input, decided per type at registration without reflection.</summary>
internal static class NullInput
{
    /// <summary>
    /// Whether <typeparamref name="T"/> takes JSON <c>null</c> by its nature: a value type only as
    /// <see cref="Nullable{T}"/> (or <see cref="JsonElement"/>, whose kind is then Null); a reference type only
    /// when it is <see cref="object"/>, <see cref="JsonNode"/> or <see cref="Payload"/> (which receives the raw bytes).
    /// </summary>
    public static bool AcceptedBy<T>()
    {
        if (typeof(T).IsValueType)
        {
            return default(T) is null || typeof(T) == typeof(JsonElement);
        }

        return typeof(T) == typeof(object) || typeof(T) == typeof(JsonNode) || typeof(T) == typeof(Payload);
    }

    /// <summary>Whether the payload is the JSON literal <c>null</c> (surrounding JSON whitespace allowed).</summary>
    public static bool IsJsonNull(Payload payload)
    {
        if (!string.Equals(payload.ContentType, JsonPayloadCodec.JsonContentType, StringComparison.Ordinal))
        {
            return false;
        }

        var bytes = payload.Bytes.Span;
        return bytes.Length < 64 && bytes.Trim(" \t\r\n"u8).SequenceEqual("null"u8);
    }

    public static ActivityInputException Rejected(Type type) =>
        new($"The input is JSON null, which the activity's input type {type} does not accept; the handler was not run. "
            + "Send a value, or register the activity with ActivityOptions.AcceptsNullInput to receive null.");
}

/// <summary>The typed part every invoker shares: decoding and encoding around a handler call.</summary>
internal abstract class TypedActivityInvoker<TInput, TOutput>(ActivityPayloads<TInput, TOutput> payloads) : ActivityInvoker
{
    private readonly JsonTypeInfo<TInput>? _input = payloads.Input;
    private readonly JsonTypeInfo<TOutput>? _output = payloads.Output;
    private readonly bool _acceptsNull = payloads.AcceptsNullInput;

    public sealed override Type InputType => typeof(TInput);

    public sealed override Type OutputType => typeof(TOutput);

    public sealed override bool AcceptsNullInput => _acceptsNull;

    public sealed override bool InputUsesCodec => _input is null && typeof(TInput) != typeof(Payload);

    public sealed override bool OutputUsesCodec => _output is null && typeof(TOutput) != typeof(Payload);

    public sealed override ValueTask<Payload> InvokeAsync(Payload input, ActivityContext context, IPayloadCodec codec)
    {
        var decoded = Decode(input, codec);
        var pending = Execute(decoded, context);
        if (pending.IsCompletedSuccessfully)
        {
            return new ValueTask<Payload>(Encode(pending.Result, codec));
        }

        return Await(pending, codec);
    }

    protected abstract ValueTask<TOutput> Execute(TInput input, ActivityContext context);

    private async ValueTask<Payload> Await(ValueTask<TOutput> pending, IPayloadCodec codec) =>
        Encode(await pending.ConfigureAwait(false), codec);

    private TInput Decode(Payload input, IPayloadCodec codec)
    {
        if (typeof(TInput) == typeof(Payload))
        {
            return (TInput)(object)input;
        }

        if (!_acceptsNull && NullInput.IsJsonNull(input))
        {
            throw NullInput.Rejected(typeof(TInput));
        }

        TInput decoded;
        try
        {
            decoded = _input is null ? codec.Decode<TInput>(input) : JsonPayloadCodec.Decode(input, _input);
        }
        catch (Exception ex)
        {
            throw new ActivityInputException($"The input could not be decoded into {typeof(TInput)}: {ex.Message}", ex);
        }

        // A codec of another format may decode its own null: the same rule applies.
        if (decoded is null && !_acceptsNull)
        {
            throw NullInput.Rejected(typeof(TInput));
        }

        return decoded;
    }

    private Payload Encode(TOutput output, IPayloadCodec codec)
    {
        if (typeof(TOutput) == typeof(Payload))
        {
            return (Payload)(object)output! ?? throw new ActivityOutputException("The activity returned a null payload.", new ArgumentNullException(nameof(output)));
        }

        try
        {
            return _output is null ? codec.Encode(output) : JsonPayloadCodec.Encode(output, _output);
        }
        catch (Exception ex)
        {
            throw new ActivityOutputException($"The result of type {output?.GetType() ?? typeof(TOutput)} could not be encoded: {ex.Message}", ex);
        }
    }
}

internal sealed class AsyncDelegateInvoker<TInput, TOutput>(Func<TInput, ActivityContext, Task<TOutput>> handler, ActivityPayloads<TInput, TOutput> payloads)
    : TypedActivityInvoker<TInput, TOutput>(payloads)
{
    protected override ValueTask<TOutput> Execute(TInput input, ActivityContext context) => new(handler(input, context));
}

internal sealed class SyncDelegateInvoker<TInput, TOutput>(Func<TInput, ActivityContext, TOutput> handler, ActivityPayloads<TInput, TOutput> payloads)
    : TypedActivityInvoker<TInput, TOutput>(payloads)
{
    public override bool IsSynchronous => true;

    protected override ValueTask<TOutput> Execute(TInput input, ActivityContext context) => new(handler(input, context));
}

internal sealed class FactoryInvoker<TInput, TOutput>(Func<IActivity<TInput, TOutput>> factory, ActivityPayloads<TInput, TOutput> payloads)
    : TypedActivityInvoker<TInput, TOutput>(payloads)
{
    protected override ValueTask<TOutput> Execute(TInput input, ActivityContext context) =>
        ContextFactoryInvoker<TInput, TOutput>.RunAndDisposeAsync(factory(), input, context);
}

internal sealed class ContextFactoryInvoker<TInput, TOutput>(Func<ActivityContext, IActivity<TInput, TOutput>> factory, ActivityPayloads<TInput, TOutput> payloads)
    : TypedActivityInvoker<TInput, TOutput>(payloads)
{
    protected override ValueTask<TOutput> Execute(TInput input, ActivityContext context) => RunAndDisposeAsync(factory(context), input, context);

    internal static async ValueTask<TOutput> RunAndDisposeAsync(IActivity<TInput, TOutput>? activity, TInput input, ActivityContext context)
    {
        if (activity is null)
        {
            throw new InvalidOperationException($"The activity factory for '{context.ActivityType}' returned null.");
        }

        try
        {
            return await activity.ExecuteAsync(input, context).ConfigureAwait(false);
        }
        finally
        {
            await Disposal.DisposeAsync(activity).ConfigureAwait(false);
        }
    }
}
