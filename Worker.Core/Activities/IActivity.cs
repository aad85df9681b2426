namespace Aion.Worker;

/// <summary>A class-based activity: one execution of one task.</summary>
/// <typeparam name="TInput">The decoded input.</typeparam>
/// <typeparam name="TOutput">The result, encoded by the worker's codec.</typeparam>
public interface IActivity<in TInput, TOutput>
{
    /// <summary>Runs the activity.</summary>
    /// <param name="input">The task's decoded input.</param>
    /// <param name="context">Ids, attempt, heartbeats and the cancellation token of this execution.</param>
    /// <returns>The result; throw <see cref="RetryableActivityException"/> or <see cref="TerminalActivityException"/> to fail.</returns>
    Task<TOutput> ExecuteAsync(TInput input, ActivityContext context);
}
