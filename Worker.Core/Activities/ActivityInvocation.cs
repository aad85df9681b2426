using Aion.Worker.Protocol;

namespace Aion.Worker;

/// <summary>Runs the rest of an activity's execution: the next interceptor, or the activity itself.</summary>
/// <param name="context">The execution's context.</param>
/// <param name="input">The input payload (an interceptor may substitute another).</param>
/// <returns>The encoded result; failures are exceptions, classified by the worker as usual.</returns>
public delegate ValueTask<Payload> ActivityInvocation(ActivityContext context, Payload input);
