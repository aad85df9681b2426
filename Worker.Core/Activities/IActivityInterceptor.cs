using Aion.Worker.Protocol;

namespace Aion.Worker;

/// <summary>Middleware around every activity execution: logging, metrics, authorization, per-type limits.</summary>
/// <remarks>
/// Interceptors run in registration order, the first outermost, around decoding, the activity
/// and encoding. An exception thrown (or let through) is classified like one from the activity:
/// throw <see cref="TerminalActivityException"/> to refuse an execution for good.
/// </remarks>
public interface IActivityInterceptor
{
    /// <summary>Intercepts one execution; call <paramref name="continuation"/> to continue.</summary>
    /// <param name="context">The execution's context (ids, attempt, labels, <see cref="ActivityContext.Services"/>).</param>
    /// <param name="input">The input payload.</param>
    /// <param name="continuation">The rest of the pipeline.</param>
    /// <returns>The encoded result.</returns>
    ValueTask<Payload> InterceptAsync(ActivityContext context, Payload input, ActivityInvocation continuation);
}
