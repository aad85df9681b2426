using Aion.Worker.Codec;
using Aion.Worker.Protocol;

namespace Aion.Worker.Internal.Activities;

/// <summary>Runs one registered activity type: decodes the input, calls the handler, encodes the output.</summary>
internal abstract class ActivityInvoker
{
    public abstract ValueTask<Payload> InvokeAsync(Payload input, ActivityContext context, IPayloadCodec codec);
}

/// <summary>The input did not decode into the handler's parameter type (a TERMINAL outcome).</summary>
internal sealed class ActivityInputException(string message, Exception inner) : Exception(message, inner);

/// <summary>The handler's return value did not encode (a TERMINAL outcome).</summary>
internal sealed class ActivityOutputException(string message, Exception inner) : Exception(message, inner);

/// <summary>The typed part every invoker shares: decoding and encoding around a handler call.</summary>
internal abstract class TypedActivityInvoker<TInput, TOutput> : ActivityInvoker
{
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

    private static async ValueTask<Payload> Await(ValueTask<TOutput> pending, IPayloadCodec codec) =>
        Encode(await pending.ConfigureAwait(false), codec);

    private static TInput Decode(Payload input, IPayloadCodec codec)
    {
        if (typeof(TInput) == typeof(Payload))
        {
            return (TInput)(object)input;
        }

        try
        {
            return codec.Decode<TInput>(input);
        }
        catch (Exception ex)
        {
            throw new ActivityInputException($"The input could not be decoded into {typeof(TInput)}: {ex.Message}", ex);
        }
    }

    private static Payload Encode(TOutput output, IPayloadCodec codec)
    {
        if (typeof(TOutput) == typeof(Payload))
        {
            return (Payload)(object)output! ?? throw new ActivityOutputException("The activity returned a null payload.", new ArgumentNullException(nameof(output)));
        }

        try
        {
            return codec.Encode(output);
        }
        catch (Exception ex)
        {
            throw new ActivityOutputException($"The result of type {output?.GetType() ?? typeof(TOutput)} could not be encoded: {ex.Message}", ex);
        }
    }
}

internal sealed class AsyncDelegateInvoker<TInput, TOutput>(Func<TInput, ActivityContext, Task<TOutput>> handler)
    : TypedActivityInvoker<TInput, TOutput>
{
    protected override ValueTask<TOutput> Execute(TInput input, ActivityContext context) => new(handler(input, context));
}

internal sealed class ValueTaskDelegateInvoker<TInput, TOutput>(Func<TInput, ActivityContext, ValueTask<TOutput>> handler)
    : TypedActivityInvoker<TInput, TOutput>
{
    protected override ValueTask<TOutput> Execute(TInput input, ActivityContext context) => handler(input, context);
}

internal sealed class SyncDelegateInvoker<TInput, TOutput>(Func<TInput, ActivityContext, TOutput> handler)
    : TypedActivityInvoker<TInput, TOutput>
{
    protected override ValueTask<TOutput> Execute(TInput input, ActivityContext context) => new(handler(input, context));
}

internal sealed class FactoryInvoker<TInput, TOutput>(Func<IActivity<TInput, TOutput>> factory)
    : TypedActivityInvoker<TInput, TOutput>
{
    protected override ValueTask<TOutput> Execute(TInput input, ActivityContext context) =>
        ContextFactoryInvoker<TInput, TOutput>.RunAndDisposeAsync(factory(), input, context);
}

internal sealed class ContextFactoryInvoker<TInput, TOutput>(Func<ActivityContext, IActivity<TInput, TOutput>> factory)
    : TypedActivityInvoker<TInput, TOutput>
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
            switch (activity)
            {
                case IAsyncDisposable asyncDisposable:
                    await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                    break;
                case IDisposable disposable:
                    disposable.Dispose();
                    break;
            }
        }
    }
}
