using Aion.Worker.Protocol;
using Microsoft.Extensions.DependencyInjection;

namespace Aion.Worker.Extensions.Hosting.Internal;

/// <summary>
/// The outermost interceptor of a hosted worker: a fresh DI scope per execution, exposed as
/// <see cref="ActivityContext.Services"/> and disposed once the outcome is recorded; then the
/// scoped interceptors, resolved from that scope.
/// </summary>
internal sealed class ScopeInterceptor(IServiceScopeFactory scopes, IReadOnlyList<Type> scopedInterceptors) : IActivityInterceptor
{
    public static IServiceProvider Services(ActivityContext context) =>
        context.Services ?? throw new InvalidOperationException("This activity runs outside a hosted worker's service scope.");

    public ValueTask<Payload> InterceptAsync(ActivityContext context, Payload input, ActivityInvocation continuation)
    {
        var scope = scopes.CreateAsyncScope();
        context.Services = scope.ServiceProvider;
        context.DisposeAfterOutcome(scope);
        return scopedInterceptors.Count == 0 ? continuation(context, input) : InvokeAt(0, context, input, continuation);
    }

    private ValueTask<Payload> InvokeAt(int index, ActivityContext context, Payload input, ActivityInvocation last)
    {
        if (index == scopedInterceptors.Count)
        {
            return last(context, input);
        }

        var interceptor = (IActivityInterceptor)Services(context).GetRequiredService(scopedInterceptors[index]);
        return interceptor.InterceptAsync(context, input, (nextContext, nextInput) => InvokeAt(index + 1, nextContext, nextInput, last));
    }
}

/// <summary>A container-owned activity: the container disposes it with the scope, so the worker must not.</summary>
internal sealed class ScopedActivity<TInput, TOutput>(IActivity<TInput, TOutput> inner) : IActivity<TInput, TOutput>
{
    public Task<TOutput> ExecuteAsync(TInput input, ActivityContext context) => inner.ExecuteAsync(input, context);
}
